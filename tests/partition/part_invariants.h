// The invariants every set of parts must satisfy, checked with plain loops written for the tests
// (independent of partition/verify.cc): every node owned once, every directed edge of the dataset in
// exactly one part, inner rows without halo columns, send lists mirroring the peers' halo lists,
// node data and halo features equal to the dataset's rows.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "io/dataset.h"
#include "partition/part_file.h"

namespace tango::testing {

inline int64_t local_col(const partition::PartitionPart& part, int64_t e) {
  return part.local_graph.wide_ids() ? part.local_graph.indices.data<int64_t>()[e]
                                     : part.local_graph.indices.data<int32_t>()[e];
}

inline int64_t global_of_col(const partition::PartitionPart& part, int64_t col) {
  return col < part.num_owned ? part.owned_global_ids.data<int64_t>()[col]
                              : part.halo_global_ids.data<int64_t>()[col - part.num_owned];
}

inline std::vector<float> feature_row(const Tensor& features, int64_t row) {
  const float* f = features.data<float>() + row * features.cols();
  return std::vector<float>(f, f + features.cols());
}

inline void expect_parts_match_dataset(const io::Dataset& d,
                                       const std::vector<partition::PartitionPart>& parts,
                                       bool with_halo_features = true) {
  const int64_t n = d.num_nodes();
  const int32_t k = static_cast<int32_t>(parts.size());
  std::vector<int32_t> owner(n, -1);
  for (int32_t p = 0; p < k; ++p) {
    ASSERT_EQ(parts[p].part_id, p);
    ASSERT_EQ(parts[p].num_parts, k);
    for (int64_t row = 0; row < parts[p].num_owned; ++row) {
      const int64_t v = parts[p].owned_global_ids.data<int64_t>()[row];
      ASSERT_EQ(owner[v], -1) << "node " << v << " owned twice";
      owner[v] = p;
    }
  }
  for (int64_t v = 0; v < n; ++v) ASSERT_GE(owner[v], 0) << "node " << v << " owned by no part";

  // Edges: the union over parts, as (v, u) global pairs, equals the dataset's directed edges.
  std::vector<std::pair<int64_t, int64_t>> expected, seen;
  const int64_t* indptr = d.graph.indptr.data<int64_t>();
  for (int64_t v = 0; v < n; ++v)
    for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e)
      expected.emplace_back(
          v, d.graph.wide_ids() ? d.graph.indices.data<int64_t>()[e] : d.graph.indices.data<int32_t>()[e]);
  for (const partition::PartitionPart& part : parts) {
    const int64_t* local_indptr = part.local_graph.indptr.data<int64_t>();
    const int64_t* degree = part.global_degree.data<int64_t>();
    for (int64_t row = 0; row < part.num_owned; ++row) {
      const int64_t v = global_of_col(part, row);
      bool touches_halo = false;
      for (int64_t e = local_indptr[row]; e < local_indptr[row + 1]; ++e) {
        const int64_t col = local_col(part, e);
        touches_halo |= col >= part.num_owned;
        seen.emplace_back(v, global_of_col(part, col));
      }
      EXPECT_EQ(touches_halo, row >= part.num_inner) << "part " << part.part_id << " row " << row;
      EXPECT_EQ(degree[row], indptr[v + 1] - indptr[v]);
      EXPECT_EQ(feature_row(part.features, row), feature_row(d.features, v));
      EXPECT_EQ(part.labels.data<int32_t>()[row], d.labels.data<int32_t>()[v]);
      EXPECT_EQ(part.train_mask.data<uint8_t>()[row], d.train_mask.data<uint8_t>()[v]);
      EXPECT_EQ(part.valid_mask.data<uint8_t>()[row], d.valid_mask.data<uint8_t>()[v]);
      EXPECT_EQ(part.test_mask.data<uint8_t>()[row], d.test_mask.data<uint8_t>()[v]);
    }
    // Halo: grouped by owner, each node's global degree and input features.
    const int64_t* halo_offsets = part.halo_offsets.data<int64_t>();
    EXPECT_EQ(part.halo_features.defined(), with_halo_features);
    for (int32_t q = 0; q < k; ++q)
      for (int64_t i = halo_offsets[q]; i < halo_offsets[q + 1]; ++i) {
        const int64_t u = part.halo_global_ids.data<int64_t>()[i];
        EXPECT_EQ(owner[u], q) << "halo node " << u << " grouped under the wrong owner";
        EXPECT_EQ(degree[part.num_owned + i], indptr[u + 1] - indptr[u]);
        if (with_halo_features) {
          EXPECT_EQ(feature_row(part.halo_features, i), feature_row(d.features, u));
        }
      }
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, expected) << "edges lost, duplicated or invented";

  // Send lists: what q sends p is exactly p's halo group for q, in order.
  for (int32_t p = 0; p < k; ++p)
    for (int32_t q = 0; q < k; ++q) {
      std::vector<int64_t> received(
          parts[p].halo_global_ids.data<int64_t>() + parts[p].halo_offsets.data<int64_t>()[q],
          parts[p].halo_global_ids.data<int64_t>() + parts[p].halo_offsets.data<int64_t>()[q + 1]);
      std::vector<int64_t> sent;
      const int64_t* send_offsets = parts[q].send_offsets.data<int64_t>();
      for (int64_t i = send_offsets[p]; i < send_offsets[p + 1]; ++i)
        sent.push_back(global_of_col(parts[q], parts[q].send_rows.data<int64_t>()[i]));
      EXPECT_EQ(sent, received) << "part " << q << " -> part " << p;
    }
}

}  // namespace tango::testing
