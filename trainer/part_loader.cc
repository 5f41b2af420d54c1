#include "trainer/part_loader.h"

#include <filesystem>

#include "io/dataset_spec.h"
#include "partition/assignment.h"
#include "partition/manifest.h"
#include "partition/part_builder.h"
#include "partition/verify.h"

namespace tango::trainer {
namespace {

std::vector<int64_t> to_vector_i64(const Tensor& t) {
  return t.defined() ? t.to_vector<int64_t>() : std::vector<int64_t>{};
}

Tensor concat_rows(const Tensor& top, const Tensor& bottom) {
  Tensor out =
      Tensor::empty(top.dtype(), top.ndim() == 1 ? Shape::vec(top.rows() + bottom.rows())
                                                 : Shape::mat(top.rows() + bottom.rows(), top.cols()));
  Tensor head = out.slice_rows(0, top.rows());
  head.copy_from(top);
  if (bottom.rows() > 0) {
    Tensor tail = out.slice_rows(top.rows(), out.rows());
    tail.copy_from(bottom);
  }
  return out;
}

}  // namespace

DistGraph dist_graph_from_part(const partition::PartitionPart& part, const std::string& origin) {
  TANGO_CHECK_INPUT(part.halo_features.defined() || part.num_halo() == 0,
                    "'{}' has no halo features (written with --no-halo-features); tango-train needs them: "
                    "partition again without that flag",
                    origin);
  DistGraph graph;
  graph.part_id = part.part_id;
  graph.num_parts = part.num_parts;
  graph.num_owned = part.num_owned;
  graph.num_inner = part.num_inner;
  graph.num_halo = part.num_halo();
  graph.num_global_nodes = part.num_global_nodes;
  graph.num_classes = part.num_classes;
  Tensor halo_ids = part.num_halo() > 0 ? part.halo_global_ids : Tensor::empty(DType::kI64, Shape::vec(0));
  graph.global_ids = concat_rows(part.owned_global_ids, halo_ids);
  graph.input = part.num_halo() > 0 ? concat_rows(part.features, part.halo_features) : part.features.clone();
  graph.labels = part.labels;
  graph.train_mask = part.train_mask;
  graph.valid_mask = part.valid_mask;
  graph.test_mask = part.test_mask;
  graph.send_offsets = to_vector_i64(part.send_offsets);
  graph.send_rows = to_vector_i64(part.send_rows);
  graph.halo_offsets = to_vector_i64(part.halo_offsets);
  build_local_operators(graph, part.local_graph, part.global_degree);
  return graph;
}

DistGraph load_partition_part(const std::string& dir, int rank, int num_ranks) {
  const partition::PartitionManifest manifest = partition::read_manifest(dir);  // checks the format version
  const int parts = manifest.options.num_parts;
  TANGO_CHECK_INPUT(parts == num_ranks,
                    "partition '{}' has {} parts but tango-train runs on {} ranks: start it with "
                    "mpirun -np {} (one rank per part) or partition again with --parts {}",
                    dir, parts, num_ranks, parts, num_ranks);
  TANGO_CHECK_INPUT(static_cast<int>(manifest.parts.size()) == parts,
                    "manifest of '{}' lists {} part files for {} parts", dir, manifest.parts.size(), parts);
  const partition::PartSummary& summary = manifest.parts.at(rank);
  partition::verify_part_checksum(dir, summary);
  const std::string path = (std::filesystem::path(dir) / summary.file).string();
  partition::PartitionPart part = partition::read_part(path);
  partition::check_part_against_manifest(part, manifest, rank, path);
  DistGraph graph = dist_graph_from_part(part, path);
  graph.dataset_name = manifest.dataset_name;
  return graph;
}

DistGraph partition_in_memory(const io::Dataset& dataset, int num_parts, int rank, uint64_t seed) {
  partition::PartitionOptions options;
  options.num_parts = num_parts;
  options.seed = seed;
  std::vector<int32_t> owner = partition::assign_parts(dataset, options);
  partition::PartLayout layout = partition::plan_layout(dataset.graph, std::move(owner), num_parts);
  partition::PartitionPart part = partition::build_part(dataset, layout, rank, /*with_halo_features=*/true);
  partition::validate_part(part, dataset.name);
  DistGraph graph = dist_graph_from_part(part, dataset.name);
  graph.dataset_name = dataset.name;
  return graph;
}

DistGraph load_rank_graph(const TrainConfig& config, int rank, int num_ranks) {
  DistGraph graph;
  if (!config.parts_dir.empty()) {
    TANGO_CHECK_INPUT(config.dataset.empty(), "give either --parts DIR or --dataset SPEC, not both");
    graph = load_partition_part(config.parts_dir, rank, num_ranks);
  } else {
    TANGO_CHECK_INPUT(!config.dataset.empty(), "no input: give --parts DIR or --dataset SPEC");
    const int parts = config.partition > 0 ? config.partition : 1;
    TANGO_CHECK_INPUT(parts == num_ranks,
                      "--dataset with {} part(s) needs {} rank(s) but runs on {}: use --partition {} or "
                      "mpirun -np {}",
                      parts, parts, num_ranks, num_ranks, parts);
    io::Dataset dataset = io::load_dataset(config.dataset, io::LoadOptions{config.split});
    graph = parts == 1 ? dist_graph_from_dataset(dataset)
                       : partition_in_memory(dataset, parts, rank, config.seed);
  }
  if (config.normalize_features) normalize_input_rows(graph);
  return graph;
}

}  // namespace tango::trainer
