#include "io/dataset_spec.h"

#include <filesystem>

#include "core/error.h"
#include "io/hdf5_dataset.h"
#include "io/ogb_reader.h"
#include "io/synthetic.h"

namespace tango::io {

Dataset load_dataset(const std::string& spec, const LoadOptions& options) {
  namespace fs = std::filesystem;
  if (spec.starts_with("synthetic:") || spec == "synthetic") {
    TANGO_CHECK_INPUT(options.split.empty() || options.split == "random-60-20-20",
                      "--split {} does not apply to a synthetic graph (its split is generated)",
                      options.split);
    return generate_synthetic(parse_synthetic_spec(spec == "synthetic" ? "synthetic:" : spec));
  }
  if (fs::is_directory(spec)) return read_ogb_dir(spec, options.split);
  if (spec.ends_with(".h5") || spec.ends_with(".hdf5")) {
    TANGO_CHECK_INPUT(options.split.empty(),
                      "--split {} does not apply to '{}': an HDF5 dataset holds one split", options.split,
                      spec);
    return read_hdf5_dataset(spec);
  }
  TANGO_FAIL_INPUT(
      "dataset '{}' is neither a directory in the OGB raw layout, a .h5 file, nor 'synthetic:...': "
      "check the path (see docs/USAGE.md, Datasets)",
      spec);
}

}  // namespace tango::io
