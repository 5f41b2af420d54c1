#include "partition/partition_writer.h"

#include <filesystem>

#include "core/error.h"
#include "core/timer.h"
#include "partition/checksum.h"
#include "partition/part_builder.h"
#include "partition/part_file.h"

namespace tango {

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

PartitionManifest write_partition(const Dataset& dataset, const PartitionRun& run, const std::string& dir,
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
  manifest.num_train = count_mask(dataset.train_mask);
  manifest.num_valid = count_mask(dataset.valid_mask);
  manifest.num_test = count_mask(dataset.test_mask);
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

  double build_seconds = 0, write_seconds = 0, checksum_seconds = 0;
  Timer parts_timer;
  progress.begin("parts", k);
  for (int32_t p = 0; p < k; ++p) {
    Timer timer;
    PartitionPart part = build_part(dataset, layout, p, run.halo_features);
    build_seconds += timer.seconds();
    timer.reset();
    const std::string file = part_file_name(p);
    const std::string path = (fs::path(dir) / file).string();
    write_part(part, path);
    write_seconds += timer.seconds();
    timer.reset();
    PartSummary summary;
    summary.id = p;
    summary.file = file;
    summary.sha256 = sha256_file(path);
    checksum_seconds += timer.seconds();
    summary.bytes = static_cast<int64_t>(fs::file_size(path));
    summary.owned = part.num_owned;
    summary.inner = part.num_inner;
    summary.boundary = part.num_boundary();
    summary.halo = part.num_halo();
    summary.edges = part.local_graph.num_edges();
    summary.train = count_mask(part.train_mask);
    summary.send = part.send_rows.numel();
    manifest.parts.push_back(std::move(summary));
    progress.step(p + 1);
  }
  progress.end();
  // The "parts" total above, split by step.
  progress.record("parts.build", build_seconds);
  progress.record("parts.write", write_seconds);
  progress.record("parts.checksum", checksum_seconds);

  manifest.compute_quality();
  manifest.phase_seconds = progress.phase_seconds();
  write_manifest(manifest, dir);
  return manifest;
}

}  // namespace tango
