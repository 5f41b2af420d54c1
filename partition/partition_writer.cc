#include "partition/partition_writer.h"

#include <filesystem>
#include <future>

#include "core/error.h"
#include "core/timer.h"
#include "partition/checksum.h"
#include "partition/part_builder.h"
#include "partition/part_file.h"

namespace tango::partition {

namespace fs = std::filesystem;

namespace {
// Files of an earlier run: the manifest, part files and the temp files of interrupted writes.
bool written_by_tango_partition(const std::string& name) {
  if (name == kManifestFileName || name.starts_with(std::string(kManifestFileName) + ".tmp-")) return true;
  return name.starts_with("part-") && (name.ends_with(".h5") || name.find(".h5.tmp-") != std::string::npos);
}
}  // namespace

void prepare_output_dir(const std::string& dir, bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    TANGO_CHECK_INPUT(fs::is_directory(dir, ec), "--out '{}' exists and is not a directory", dir);
    if (fs::is_empty(dir, ec)) return;
    TANGO_CHECK_INPUT(
        force, "--out '{}' exists and is not empty: pass --force to overwrite it or choose another folder",
        dir);
    // The manifest goes first: from here on the folder holds no claimed-complete partition.
    fs::remove(fs::path(dir) / kManifestFileName, ec);
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && written_by_tango_partition(entry.path().filename().string()))
        fs::remove(entry.path());
    return;
  }
  fs::create_directories(dir, ec);
  TANGO_CHECK_INPUT(!ec, "cannot create --out '{}': {}", dir, ec.message());
}

PartitionManifest write_partition(const io::Dataset& dataset, const PartitionRun& run, const std::string& dir,
                                  PhaseProgress& progress) {
  const int32_t k = run.options.num_parts;
  PartitionManifest manifest;
  manifest.dataset_spec = run.dataset_spec;
  manifest.dataset_name = dataset.name;
  manifest.split = dataset.split_name;
  manifest.num_nodes = dataset.num_nodes();
  manifest.num_edges = dataset.graph.num_edges();
  manifest.num_features = dataset.num_features();
  manifest.num_classes = dataset.num_classes;
  manifest.num_train = io::count_mask(dataset.train_mask);
  manifest.num_valid = io::count_mask(dataset.valid_mask);
  manifest.num_test = io::count_mask(dataset.test_mask);
  manifest.options = run.options;
  manifest.halo_features = run.halo_features;
  manifest.created_by = "tango-partition 0.1.0";

  progress.begin("partition");
  std::vector<int32_t> owner = assign_parts(dataset, run.options);
  manifest.edge_cut = count_edge_cut(dataset.graph, owner);
  progress.end();

  progress.begin("layout");
  PartLayout layout = plan_layout(dataset.graph, std::move(owner), k);
  progress.end();

  // Part p is written and checksummed on a second thread while part p + 1 is built, so disk time
  // hides build time; at most two parts are in memory.
  struct Written {
    PartSummary summary;
    double write_seconds = 0, checksum_seconds = 0;
  };
  auto write_and_checksum = [&dir](PartitionPart part) {
    Written done;
    Timer timer;
    PartSummary& s = done.summary;
    s.id = part.part_id;
    s.file = part_file_name(part.part_id);
    const std::string path = (fs::path(dir) / s.file).string();
    write_part(part, path);
    done.write_seconds = timer.seconds();
    timer.reset();
    s.sha256 = sha256_file(path);
    done.checksum_seconds = timer.seconds();
    s.bytes = static_cast<int64_t>(fs::file_size(path));
    s.owned = part.num_owned;
    s.inner = part.num_inner;
    s.boundary = part.num_boundary();
    s.halo = part.num_halo();
    s.edges = part.local_graph.num_edges();
    s.train = io::count_mask(part.train_mask);
    s.send = part.send_rows.numel();
    return done;
  };
  double build_seconds = 0, write_seconds = 0, checksum_seconds = 0;
  auto collect = [&](std::future<Written>& pending) {
    Written done = pending.get();
    write_seconds += done.write_seconds;
    checksum_seconds += done.checksum_seconds;
    manifest.parts.push_back(std::move(done.summary));
    progress.step(static_cast<int64_t>(manifest.parts.size()));
  };
  progress.begin("parts", k);
  std::future<Written> pending;
  for (int32_t p = 0; p < k; ++p) {
    Timer timer;
    PartitionPart part = build_part(dataset, layout, p, run.halo_features);
    build_seconds += timer.seconds();
    if (pending.valid()) collect(pending);
    pending = std::async(std::launch::async, write_and_checksum, std::move(part));
  }
  collect(pending);
  progress.end();
  // The "parts" total above, split by step (build overlaps write and checksum).
  progress.record("parts.build", build_seconds);
  progress.record("parts.write", write_seconds);
  progress.record("parts.checksum", checksum_seconds);

  manifest.compute_quality();
  manifest.phase_seconds = progress.phase_seconds();
  write_manifest(manifest, dir);
  return manifest;
}

}  // namespace tango::partition
