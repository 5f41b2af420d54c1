#include "io/dataset_identity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "io/synthetic.h"

namespace tango::io {
namespace {

Dataset small_synthetic(uint64_t seed) {
  SyntheticSpec spec;
  spec.nodes = 200;
  spec.avg_degree = 6;
  spec.features = 8;
  spec.classes = 3;
  spec.seed = seed;
  return generate_synthetic(spec);
}

// The rows of `dataset` whose ids are listed, as a part holds them: a local CSR with local columns, ids
// of the columns (the rows first, then every other node).
uint64_t share_of(const Dataset& dataset, const std::vector<int64_t>& rows) {
  const int64_t n = dataset.num_nodes();
  std::vector<int64_t> ids = rows, local(static_cast<size_t>(n), -1);
  for (size_t i = 0; i < rows.size(); ++i) local[static_cast<size_t>(rows[i])] = static_cast<int64_t>(i);
  for (int64_t v = 0; v < n; ++v)
    if (local[static_cast<size_t>(v)] < 0) {
      local[static_cast<size_t>(v)] = static_cast<int64_t>(ids.size());
      ids.push_back(v);
    }
  const int64_t* indptr = dataset.graph.indptr.data<int64_t>();
  const int32_t* indices = dataset.graph.indices.data<int32_t>();
  std::vector<int64_t> part_indptr = {0};
  std::vector<int64_t> part_indices;
  for (int64_t v : rows) {
    for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e)
      part_indices.push_back(local[static_cast<size_t>(indices[e])]);
    part_indptr.push_back(static_cast<int64_t>(part_indices.size()));
  }
  Graph graph;
  graph.num_nodes = static_cast<int64_t>(rows.size());
  graph.indptr = Tensor::from(part_indptr);
  graph.indices = Tensor::from(part_indices);
  auto gather = [&](const Tensor& t) {
    Tensor out =
        Tensor::empty(t.dtype(), t.ndim() == 1 ? Shape::vec(static_cast<int64_t>(rows.size()))
                                               : Shape::mat(static_cast<int64_t>(rows.size()), t.cols()));
    for (size_t i = 0; i < rows.size(); ++i) {
      Tensor to = out.slice_rows(static_cast<int64_t>(i), static_cast<int64_t>(i) + 1);
      to.copy_from(t.slice_rows(rows[i], rows[i] + 1));
    }
    return out;
  };
  return dataset_checksum_share(graph, Tensor::from(ids), gather(dataset.features), gather(dataset.labels),
                                gather(dataset.train_mask), gather(dataset.valid_mask),
                                gather(dataset.test_mask));
}

// The shares of any split of the nodes, in any row order, add up to the whole dataset's checksum.
TEST(DatasetIdentity, SharesOfAnySplitAddUpToTheWhole) {
  const Dataset dataset = small_synthetic(1);
  const DatasetIdentity whole = dataset_identity(dataset);
  EXPECT_EQ(whole.nodes, 200);
  EXPECT_EQ(whole.edges, dataset.graph.num_edges());
  for (int parts : {2, 3}) {
    std::vector<std::vector<int64_t>> rows(static_cast<size_t>(parts));
    for (int64_t v = dataset.num_nodes() - 1; v >= 0; --v)
      rows[static_cast<size_t>((v * 7) % parts)].push_back(v);
    uint64_t sum = 0;
    for (const auto& part : rows) sum += share_of(dataset, part);
    EXPECT_EQ(sum, whole.checksum) << parts << " parts";
  }
}

// Another seed, one feature bit, one label or one split flag: another checksum.
TEST(DatasetIdentity, AnyChangeOfTheDataChangesTheChecksum) {
  const Dataset dataset = small_synthetic(1);
  const uint64_t base = dataset_identity(dataset).checksum;
  EXPECT_NE(dataset_identity(small_synthetic(2)).checksum, base);
  Dataset changed = small_synthetic(1);
  changed.features.data<float>()[17] = std::nextafter(changed.features.data<float>()[17], 10.0f);
  EXPECT_NE(dataset_identity(changed).checksum, base);
  changed = small_synthetic(1);
  changed.labels.data<int32_t>()[5] = (changed.labels.data<int32_t>()[5] + 1) % 3;
  EXPECT_NE(dataset_identity(changed).checksum, base);
  changed = small_synthetic(1);
  changed.valid_mask.data<uint8_t>()[3] ^= 1;
  EXPECT_NE(dataset_identity(changed).checksum, base);
}

}  // namespace
}  // namespace tango::io
