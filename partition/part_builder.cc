#include "partition/part_builder.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/error.h"

namespace tango::partition {

namespace {

// Gathers rows `ids` of a [n, cols] tensor (any dtype) into a new [ids.size(), cols] tensor.
Tensor gather_rows(const Tensor& source, std::span<const int64_t> ids) {
  const int64_t count = static_cast<int64_t>(ids.size());
  Tensor out = Tensor::empty(source.dtype(),
                             source.ndim() == 2 ? Shape::mat(count, source.cols()) : Shape::vec(count));
  const size_t row_bytes = static_cast<size_t>(source.cols()) * dtype_size(source.dtype());
  const char* src = static_cast<const char*>(source.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * row_bytes, src + ids[i] * row_bytes, row_bytes);
  return out;
}

Tensor vector_tensor(const std::vector<int64_t>& values) {
  return Tensor::from(values);
}

// The halo of `part`: every node of another part adjacent to one of our boundary rows, unique,
// sorted by (owner part, global id). `halo_column` ([num_nodes], all -1 on entry) gets each halo
// node's local column, so the CSR can renumber without searching.
template <class IdT>
std::vector<int64_t> collect_halo(const io::Graph& graph, const IdT* cols, const PartLayout& layout,
                                  int32_t part, std::vector<int64_t>& halo_column) {
  const int64_t* indptr = graph.indptr.data<int64_t>();
  std::span<const int64_t> owned = layout.owned_nodes(part);
  std::vector<int64_t> halo;
  for (size_t row = static_cast<size_t>(layout.num_inner[part]); row < owned.size(); ++row)
    for (int64_t e = indptr[owned[row]]; e < indptr[owned[row] + 1]; ++e) {
      const int64_t u = cols[e];
      if (layout.owner[u] != part && halo_column[u] < 0) {
        halo_column[u] = 0;  // seen
        halo.push_back(u);
      }
    }
  std::sort(halo.begin(), halo.end(), [&](int64_t a, int64_t b) {
    return std::pair(layout.owner[a], a) < std::pair(layout.owner[b], b);
  });
  const int64_t num_owned = static_cast<int64_t>(owned.size());
  for (size_t i = 0; i < halo.size(); ++i) halo_column[halo[i]] = num_owned + static_cast<int64_t>(i);
  return halo;
}

// The local CSR: owned rows in local order, columns renumbered into [owned | halo], sorted per row.
template <class IdT, class LocalT>
void fill_local_graph(const io::Graph& graph, const IdT* cols, const PartLayout& layout, int32_t part,
                      const std::vector<int64_t>& halo_column, PartitionPart& out) {
  const int64_t* indptr = graph.indptr.data<int64_t>();
  std::span<const int64_t> owned = layout.owned_nodes(part);
  const int64_t num_owned = static_cast<int64_t>(owned.size());
  const int64_t* local_indptr = out.local_graph.indptr.data<int64_t>();
  LocalT* local_cols = out.local_graph.indices.data<LocalT>();
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t row = 0; row < num_owned; ++row) {
    LocalT* dst = local_cols + local_indptr[row];
    const int64_t v = owned[row];
    for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e) {
      const int64_t u = cols[e];
      *dst++ = static_cast<LocalT>(layout.owner[u] == part ? layout.local_row[u] : halo_column[u]);
    }
    std::sort(local_cols + local_indptr[row], dst);
  }
}

// Per peer q, our boundary rows adjacent to q. Boundary rows are in global-id order, so each list
// comes out in global-id order too: exactly q's halo group for us.
template <class IdT>
void fill_send_lists(const io::Graph& graph, const IdT* cols, const PartLayout& layout, int32_t part,
                     PartitionPart& out) {
  const int64_t* indptr = graph.indptr.data<int64_t>();
  std::span<const int64_t> owned = layout.owned_nodes(part);
  std::vector<std::vector<int64_t>> rows_for_peer(layout.num_parts);
  std::vector<int64_t> last_row_sent(layout.num_parts, -1);
  for (int64_t row = layout.num_inner[part]; row < static_cast<int64_t>(owned.size()); ++row)
    for (int64_t e = indptr[owned[row]]; e < indptr[owned[row] + 1]; ++e)
      if (int32_t q = layout.owner[cols[e]]; q != part && last_row_sent[q] != row) {
        last_row_sent[q] = row;
        rows_for_peer[q].push_back(row);
      }
  std::vector<int64_t> offsets(layout.num_parts + 1, 0), rows;
  for (int32_t q = 0; q < layout.num_parts; ++q) {
    offsets[q + 1] = offsets[q] + static_cast<int64_t>(rows_for_peer[q].size());
    rows.insert(rows.end(), rows_for_peer[q].begin(), rows_for_peer[q].end());
  }
  out.send_offsets = vector_tensor(offsets);
  out.send_rows = vector_tensor(rows);
}

}  // namespace

PartLayout plan_layout(const io::Graph& graph, std::vector<int32_t> owner, int32_t num_parts) {
  const int64_t n = graph.num_nodes;
  TANGO_CHECK(static_cast<int64_t>(owner.size()) == n, "{} owners for {} nodes", owner.size(), n);
  const int64_t* indptr = graph.indptr.data<int64_t>();
  std::vector<uint8_t> boundary(n, 0);
  io::visit_indices(graph, [&](const auto* cols) {
#pragma omp parallel for schedule(dynamic, 1024)
    for (int64_t v = 0; v < n; ++v)
      for (int64_t e = indptr[v]; e < indptr[v + 1]; ++e)
        if (owner[cols[e]] != owner[v]) {
          boundary[v] = 1;
          break;
        }
  });
  PartLayout layout;
  layout.num_parts = num_parts;
  layout.num_inner.assign(num_parts, 0);
  layout.part_offsets.assign(num_parts + 1, 0);
  for (int64_t v = 0; v < n; ++v) {
    TANGO_CHECK(owner[v] >= 0 && owner[v] < num_parts, "node {} assigned to part {} outside [0, {})", v,
                owner[v], num_parts);
    ++layout.part_offsets[owner[v] + 1];
    layout.num_inner[owner[v]] += !boundary[v];
  }
  for (int32_t p = 0; p < num_parts; ++p) layout.part_offsets[p + 1] += layout.part_offsets[p];
  std::vector<int64_t> next_inner(num_parts), next_boundary(num_parts);
  for (int32_t p = 0; p < num_parts; ++p) {
    next_inner[p] = layout.part_offsets[p];
    next_boundary[p] = layout.part_offsets[p] + layout.num_inner[p];
  }
  layout.nodes_by_part.resize(n);
  layout.local_row.resize(n);
  for (int64_t v = 0; v < n; ++v) {
    const int32_t p = owner[v];
    const int64_t slot = boundary[v] ? next_boundary[p]++ : next_inner[p]++;
    layout.nodes_by_part[slot] = v;
    layout.local_row[v] = slot - layout.part_offsets[p];
  }
  layout.owner = std::move(owner);
  return layout;
}

PartitionPart build_part(const io::Dataset& dataset, const PartLayout& layout, int32_t part_id,
                         bool with_halo_features) {
  const io::Graph& graph = dataset.graph;
  const int64_t* indptr = graph.indptr.data<int64_t>();
  std::span<const int64_t> owned = layout.owned_nodes(part_id);
  const int64_t num_owned = static_cast<int64_t>(owned.size());

  PartitionPart part;
  part.part_id = part_id;
  part.num_parts = layout.num_parts;
  part.num_owned = num_owned;
  part.num_inner = layout.num_inner[part_id];
  part.num_classes = dataset.num_classes;
  part.num_global_nodes = graph.num_nodes;
  part.owned_global_ids = Tensor::from(std::vector<int64_t>(owned.begin(), owned.end()));

  std::vector<int64_t> halo_column(graph.num_nodes, -1);
  std::vector<int64_t> halo = io::visit_indices(
      graph, [&](const auto* cols) { return collect_halo(graph, cols, layout, part_id, halo_column); });
  std::vector<int64_t> halo_offsets(layout.num_parts + 1, 0);
  for (int64_t u : halo) ++halo_offsets[layout.owner[u] + 1];
  for (int32_t q = 0; q < layout.num_parts; ++q) halo_offsets[q + 1] += halo_offsets[q];
  const int64_t num_halo = static_cast<int64_t>(halo.size());

  // Local CSR: row lengths are the global degrees of the owned nodes (a part holds all their edges).
  part.local_graph.num_nodes = num_owned;
  part.local_graph.indptr = Tensor::empty(DType::kI64, Shape::vec(num_owned + 1));
  int64_t* local_indptr = part.local_graph.indptr.data<int64_t>();
  local_indptr[0] = 0;
  for (int64_t row = 0; row < num_owned; ++row)
    local_indptr[row + 1] = local_indptr[row] + indptr[owned[row] + 1] - indptr[owned[row]];
  const DType local_dtype = io::index_dtype_for(num_owned + num_halo);
  part.local_graph.indices = Tensor::empty(local_dtype, Shape::vec(local_indptr[num_owned]));
  io::visit_indices(graph, [&](const auto* cols) {
    if (local_dtype == DType::kI32)
      fill_local_graph<std::remove_cv_t<std::remove_pointer_t<decltype(cols)>>, int32_t>(
          graph, cols, layout, part_id, halo_column, part);
    else
      fill_local_graph<std::remove_cv_t<std::remove_pointer_t<decltype(cols)>>, int64_t>(
          graph, cols, layout, part_id, halo_column, part);
    fill_send_lists(graph, cols, layout, part_id, part);
  });

  part.global_degree = Tensor::empty(DType::kI64, Shape::vec(num_owned + num_halo));
  int64_t* degree = part.global_degree.data<int64_t>();
  for (int64_t row = 0; row < num_owned; ++row) degree[row] = indptr[owned[row] + 1] - indptr[owned[row]];
  for (int64_t i = 0; i < num_halo; ++i) degree[num_owned + i] = indptr[halo[i] + 1] - indptr[halo[i]];

  part.features = gather_rows(dataset.features, owned);
  part.labels = gather_rows(dataset.labels, owned);
  part.train_mask = gather_rows(dataset.train_mask, owned);
  part.valid_mask = gather_rows(dataset.valid_mask, owned);
  part.test_mask = gather_rows(dataset.test_mask, owned);
  if (with_halo_features) part.halo_features = gather_rows(dataset.features, halo);
  part.halo_global_ids = vector_tensor(halo);
  part.halo_offsets = vector_tensor(halo_offsets);
  return part;
}

}  // namespace tango::partition
