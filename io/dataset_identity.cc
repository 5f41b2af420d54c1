#include "io/dataset_identity.h"

#include <fmt/format.h>

#include <numeric>
#include <vector>

#include "core/error.h"
#include "io/content_hash.h"

namespace tango::io {
namespace {

// Separate seeds, so that a node's digest can never be an edge's.
constexpr uint64_t kNodeSeed = 0x6e6f6465;  // "node"
constexpr uint64_t kEdgeSeed = 0x65646765;  // "edge"

uint64_t node_digest(int64_t global_id, int32_t label, uint8_t split, const float* features, int64_t cols) {
  ContentHash hash(kNodeSeed);
  hash.add_u64(static_cast<uint64_t>(global_id));
  hash.add_u64(static_cast<uint64_t>(static_cast<uint32_t>(label)) | (uint64_t{split} << 32));
  hash.add_bytes(features, static_cast<size_t>(cols) * sizeof(float));
  return hash.value();
}

uint64_t edge_digest(int64_t from, int64_t to) {
  ContentHash hash(kEdgeSeed);
  hash.add_u64(static_cast<uint64_t>(from));
  hash.add_u64(static_cast<uint64_t>(to));
  return hash.value();
}

}  // namespace

std::string DatasetIdentity::str() const {
  return fmt::format("'{}' ({} nodes, {} edges, checksum {})", name, nodes, edges, hex64(checksum));
}

uint64_t dataset_checksum_share(const Graph& adjacency, const Tensor& global_ids, const Tensor& features,
                                const Tensor& labels, const Tensor& train_mask, const Tensor& valid_mask,
                                const Tensor& test_mask) {
  const int64_t rows = adjacency.num_nodes;
  TANGO_CHECK(global_ids.dtype() == DType::kI64 && global_ids.numel() >= rows && features.rows() >= rows &&
                  labels.numel() >= rows && train_mask.numel() >= rows && valid_mask.numel() >= rows &&
                  test_mask.numel() >= rows,
              "dataset checksum of {} rows: ids {}, features {}, labels {}", rows, global_ids.str(),
              features.str(), labels.str());
  const int64_t* ids = global_ids.data<int64_t>();
  const int64_t* indptr = adjacency.indptr.data<int64_t>();
  const float* x = features.data<float>();
  const int64_t cols = features.cols();
  const int32_t* label = labels.data<int32_t>();
  const uint8_t* train = train_mask.data<uint8_t>();
  const uint8_t* valid = valid_mask.data<uint8_t>();
  const uint8_t* test = test_mask.data<uint8_t>();
  return visit_indices(adjacency, [&](const auto* indices) {
    uint64_t sum = 0;  // unsigned: wraps mod 2^64, in any order
#pragma omp parallel for schedule(dynamic, 1024) reduction(+ : sum)
    for (int64_t r = 0; r < rows; ++r) {
      const auto split = static_cast<uint8_t>((train[r] != 0) | (valid[r] != 0) << 1 | (test[r] != 0) << 2);
      sum += node_digest(ids[r], label[r], split, x + r * cols, cols);
      for (int64_t e = indptr[r]; e < indptr[r + 1]; ++e) sum += edge_digest(ids[r], ids[indices[e]]);
    }
    return sum;
  });
}

DatasetIdentity dataset_identity(const Dataset& dataset) {
  std::vector<int64_t> ids(static_cast<size_t>(dataset.num_nodes()));
  std::iota(ids.begin(), ids.end(), int64_t{0});
  DatasetIdentity identity;
  identity.name = dataset.name;
  identity.nodes = dataset.num_nodes();
  identity.edges = dataset.graph.num_edges();
  identity.checksum =
      dataset_checksum_share(dataset.graph, Tensor::from(ids), dataset.features, dataset.labels,
                             dataset.train_mask, dataset.valid_mask, dataset.test_mask);
  return identity;
}

}  // namespace tango::io
