#include "trainer/dist_graph.h"

#include <cmath>
#include <numeric>

#include "io/dataset_identity.h"

namespace tango::trainer {

io::Graph with_self_loops(const io::Graph& local_graph, int64_t num_cols) {
  const int64_t rows = local_graph.num_nodes;
  TANGO_CHECK(num_cols < INT32_MAX, "local graph has {} columns; the kernels take 32-bit ids", num_cols);
  const int64_t* indptr = local_graph.indptr.data<int64_t>();
  io::Graph out;
  out.num_nodes = rows;
  out.indptr = Tensor::empty(DType::kI64, Shape::vec(rows + 1));
  out.indices = Tensor::empty(DType::kI32, Shape::vec(local_graph.num_edges() + rows));
  int64_t* out_ptr = out.indptr.data<int64_t>();
  int32_t* out_idx = out.indices.data<int32_t>();
  io::visit_indices(local_graph, [&](const auto* indices) {
    int64_t pos = 0;
    for (int64_t r = 0; r < rows; ++r) {
      out_ptr[r] = pos;
      bool placed = false;
      for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p) {
        const int64_t c = static_cast<int64_t>(indices[p]);
        TANGO_CHECK(c != r, "local graph row {} already has a self-loop", r);
        if (!placed && c > r) {
          out_idx[pos++] = static_cast<int32_t>(r);
          placed = true;
        }
        out_idx[pos++] = static_cast<int32_t>(c);
      }
      if (!placed) out_idx[pos++] = static_cast<int32_t>(r);
    }
    out_ptr[rows] = pos;
  });
  return out;
}

RowSplit split_inner_boundary(const kernels::CsrIndex& whole, int64_t num_inner, int64_t num_owned) {
  TANGO_CHECK(whole.num_rows == num_owned && num_inner >= 0 && num_inner <= num_owned,
              "cannot split {} rows at {} inner rows ({} owned)", whole.num_rows, num_inner, num_owned);
  RowSplit split;
  TANGO_CHECK(whole.edge_ids_are_identity, "a forward CSR has identity edge ids");
  // Identity ids: edge tensors are sliced at boundary_first_entry for the boundary rows.
  split.inner = kernels::csr_row_range(whole, 0, num_inner, num_owned);
  split.boundary = kernels::csr_row_range(whole, num_inner, num_owned, whole.num_cols);
  const int64_t inner_entries = whole.indptr.data<int64_t>()[num_inner];
  split.boundary_first_entry = inner_entries;
  // The inner rows may not reach a halo column.
  const int32_t* columns = whole.indices.data<int32_t>();
  for (int64_t p = 0; p < inner_entries; ++p) {
    TANGO_CHECK(columns[p] < num_owned, "inner row entry {} reaches halo column {}", p, columns[p]);
  }
  return split;
}

ReverseSplit split_owned_halo(const kernels::CsrIndex& reverse, int64_t num_owned) {
  TANGO_CHECK(reverse.num_cols == num_owned && num_owned <= reverse.num_rows,
              "cannot split a reverse CSR of {} x {} at {} owned rows", reverse.num_rows, reverse.num_cols,
              num_owned);
  ReverseSplit split;
  split.owned = kernels::csr_row_range(reverse, 0, num_owned, num_owned);
  split.halo = kernels::csr_row_range(reverse, num_owned, reverse.num_rows, num_owned);
  split.halo_first_entry = reverse.indptr.data<int64_t>()[num_owned];
  return split;
}

void build_local_operators(DistGraph& graph, const io::Graph& local_graph, const Tensor& global_degree) {
  const int64_t rows = graph.num_rows();
  TANGO_CHECK(local_graph.num_nodes == graph.num_owned, "local graph has {} rows for {} owned nodes",
              local_graph.num_nodes, graph.num_owned);
  TANGO_CHECK(global_degree.numel() == rows, "{} global degrees for {} owned + halo rows",
              global_degree.numel(), rows);
  graph.adjacency =
      kernels::SparseGraph::from_csr(graph.num_owned, rows, local_graph.indptr, local_graph.indices);
  io::Graph looped = with_self_loops(local_graph, rows);
  graph.adjacency_with_self =
      kernels::SparseGraph::from_csr(graph.num_owned, rows, looped.indptr, looped.indices);
  graph.adjacency_split = split_inner_boundary(graph.adjacency.csr(), graph.num_inner, graph.num_owned);
  graph.adjacency_with_self_split =
      split_inner_boundary(graph.adjacency_with_self.csr(), graph.num_inner, graph.num_owned);
  graph.adjacency_reverse_split = split_owned_halo(graph.adjacency.csr_t(), graph.num_owned);
  graph.adjacency_with_self_reverse_split =
      split_owned_halo(graph.adjacency_with_self.csr_t(), graph.num_owned);

  // The layers compute their boundary rows first and send before the inner rows exist.
  for (const int64_t row : graph.send_rows) {
    TANGO_CHECK_INPUT(
        row >= graph.num_inner && row < graph.num_owned,
        "send row {} is not a boundary row [{}, {}) of part {}: rebuild the partition with tango-partition",
        row, graph.num_inner, graph.num_owned, graph.part_id);
  }

  const int64_t* degree = global_degree.data<int64_t>();
  graph.gcn_norm = Tensor::empty(DType::kF32, Shape::vec(rows));
  float* norm = graph.gcn_norm.data<float>();
  for (int64_t v = 0; v < rows; ++v) {
    norm[v] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(degree[v]) + 1.0));
  }
  graph.inverse_degree = Tensor::empty(DType::kF32, Shape::vec(graph.num_owned));
  float* inverse = graph.inverse_degree.data<float>();
  const int64_t* indptr = local_graph.indptr.data<int64_t>();
  for (int64_t v = 0; v < graph.num_owned; ++v) {
    // A part holds every in-edge of an owned node: its local in-degree is its global degree.
    TANGO_CHECK(indptr[v + 1] - indptr[v] == degree[v],
                "owned row {} has {} local edges but global degree {}", v, indptr[v + 1] - indptr[v],
                degree[v]);
    inverse[v] = degree[v] > 0 ? static_cast<float>(1.0 / static_cast<double>(degree[v])) : 0.0f;
  }
  graph.dataset_checksum_share =
      io::dataset_checksum_share(local_graph, graph.global_ids, graph.input, graph.labels, graph.train_mask,
                                 graph.valid_mask, graph.test_mask);
}

namespace {

// `host` (a split of a host CSR) as views of `whole`, the same CSR on another device.
RowSplit split_on_device(const RowSplit& host, const kernels::CsrIndex& whole) {
  RowSplit split = host;
  const int64_t inner_entries = host.boundary_first_entry;
  split.inner.indptr = whole.indptr.slice_rows(0, host.inner.num_rows + 1);
  split.inner.indices = whole.indices.slice_rows(0, inner_entries);
  split.boundary.indptr = host.boundary.indptr.to(whole.device());
  split.boundary.indices = whole.indices.slice_rows(inner_entries, whole.num_entries());
  return split;
}

// The same for a reverse split.
ReverseSplit split_on_device(const ReverseSplit& host, const kernels::CsrIndex& whole) {
  ReverseSplit split = host;
  const int64_t owned_entries = host.halo_first_entry;
  split.owned.indptr = whole.indptr.slice_rows(0, host.owned.num_rows + 1);
  split.owned.indices = whole.indices.slice_rows(0, owned_entries);
  split.halo.indptr = host.halo.indptr.to(whole.device());
  split.halo.indices = whole.indices.slice_rows(owned_entries, whole.num_entries());
  if (whole.edge_ids.defined()) {
    split.owned.edge_ids = whole.edge_ids.slice_rows(0, owned_entries);
    split.halo.edge_ids = whole.edge_ids.slice_rows(owned_entries, whole.num_entries());
  }
  return split;
}

Tensor to_device(const Tensor& t, Device device) {
  return t.defined() ? t.to(device) : Tensor();
}

}  // namespace

DistGraph graph_on_device(const DistGraph& graph, Device device) {
  TANGO_CHECK(graph.device.is_cpu(), "graph_on_device: the graph is already on {}", graph.device.str());
  if (device.is_cpu()) return graph;
  DistGraph out = graph;
  out.device = device;
  out.global_ids = to_device(graph.global_ids, device);
  out.input = to_device(graph.input, device);
  out.labels = to_device(graph.labels, device);
  out.train_mask = to_device(graph.train_mask, device);
  out.valid_mask = to_device(graph.valid_mask, device);
  out.test_mask = to_device(graph.test_mask, device);
  out.adjacency = graph.adjacency.to(device);
  out.adjacency_with_self = graph.adjacency_with_self.to(device);
  out.adjacency_split = split_on_device(graph.adjacency_split, out.adjacency.csr());
  out.adjacency_with_self_split =
      split_on_device(graph.adjacency_with_self_split, out.adjacency_with_self.csr());
  out.adjacency_reverse_split = split_on_device(graph.adjacency_reverse_split, out.adjacency.csr_t());
  out.adjacency_with_self_reverse_split =
      split_on_device(graph.adjacency_with_self_reverse_split, out.adjacency_with_self.csr_t());
  out.gcn_norm = to_device(graph.gcn_norm, device);
  out.inverse_degree = to_device(graph.inverse_degree, device);
  return out;
}

DistGraph dist_graph_from_dataset(const io::Dataset& dataset) {
  DistGraph graph;
  const int64_t n = dataset.num_nodes();
  graph.num_owned = n;
  graph.num_inner = n;
  graph.num_global_nodes = n;
  graph.num_classes = dataset.num_classes;
  graph.dataset_name = dataset.name;
  std::vector<int64_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), int64_t{0});
  graph.global_ids = Tensor::from(ids);
  graph.input = dataset.features.clone();
  graph.labels = dataset.labels;
  graph.train_mask = dataset.train_mask;
  graph.valid_mask = dataset.valid_mask;
  graph.test_mask = dataset.test_mask;
  graph.send_offsets = {0, 0};
  graph.halo_offsets = {0, 0};

  Tensor degree = Tensor::empty(DType::kI64, Shape::vec(n));
  const int64_t* indptr = dataset.graph.indptr.data<int64_t>();
  for (int64_t v = 0; v < n; ++v) degree.data<int64_t>()[v] = indptr[v + 1] - indptr[v];
  build_local_operators(graph, dataset.graph, degree);
  return graph;
}

void normalize_input_rows(DistGraph& graph) {
  const int64_t rows = graph.input.rows(), cols = graph.input.cols();
  float* x = graph.input.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j) sum += std::fabs(x[r * cols + j]);
    if (sum == 0.0) continue;
    const float inverse = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < cols; ++j) x[r * cols + j] *= inverse;
  }
}

}  // namespace tango::trainer
