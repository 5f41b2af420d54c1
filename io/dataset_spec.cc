#include "io/dataset_spec.h"

#include <filesystem>

#include "io/hdf5_dataset.h"
#include "io/ogb_reader.h"
#include "io/synthetic.h"

namespace tango {

Dataset load_dataset(const std::string& spec, const LoadOptions& options) {
  namespace fs = std::filesystem;
  Dataset dataset;
  if (spec.starts_with("synthetic:") || spec == "synthetic") {
    dataset = generate_synthetic(parse_synthetic_spec(spec));
  } else if (fs::is_directory(spec)) {
    dataset = read_ogb_dir(spec, options.split);
  } else if (spec.ends_with(".h5") || spec.ends_with(".hdf5")) {
    TANGO_CHECK_INPUT(fs::exists(spec), "dataset file '{}' does not exist", spec);
    dataset = read_hdf5_dataset(spec);
  } else {
    TANGO_FAIL_INPUT(
        "dataset '{}' is neither a directory (OGB raw layout), a .h5 file nor 'synthetic:...'", spec);
  }
  validate_dataset(dataset, spec);
  return dataset;
}

}  // namespace tango
