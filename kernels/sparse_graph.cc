#include "kernels/sparse_graph.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "core/error.h"

namespace tango::kernels {

namespace {

CsrIndex copy_index(const CsrIndex& src, Device device) {
  CsrIndex out = src;
  out.indptr = src.indptr.to(device);
  out.indices = src.indices.to(device);
  out.edge_ids = src.edge_ids.to(device);
  return out;
}

// Validates host CSR arrays and returns the column ids as i32.
template <class IdT>
Tensor checked_columns(int64_t num_rows, int64_t num_cols, const int64_t* indptr, const IdT* ids,
                       int64_t nnz) {
  TANGO_CHECK_INPUT(indptr[0] == 0 && indptr[num_rows] == nnz,
                    "CSR indptr must start at 0 and end at nnz={}, got [{}, {}]", nnz, indptr[0],
                    indptr[num_rows]);
  Tensor out = Tensor::empty(DType::kI32, Shape::vec(nnz));
  int32_t* cols = out.data<int32_t>();
  std::atomic<int64_t> bad_row{-1};
#pragma omp parallel for schedule(dynamic, 4096)
  for (int64_t r = 0; r < num_rows; ++r) {
    if (indptr[r + 1] < indptr[r]) bad_row.store(r);
    for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p) {
      if (ids[p] < 0 || ids[p] >= num_cols) bad_row.store(r);
      cols[p] = static_cast<int32_t>(ids[p]);
    }
  }
  TANGO_CHECK_INPUT(bad_row.load() < 0,
                    "CSR row {} has a decreasing indptr or a column id outside [0, {}): fix the graph",
                    bad_row.load(), num_cols);
  return out;
}

}  // namespace

SparseGraph SparseGraph::from_csr(int64_t num_rows, int64_t num_cols, const Tensor& indptr_in,
                                  const Tensor& indices_in) {
  TANGO_CHECK(indptr_in.device().is_cpu() && indices_in.device().is_cpu(),
              "SparseGraph is built on the host, got {} and {}", indptr_in.str(), indices_in.str());
  TANGO_CHECK(indptr_in.dtype() == DType::kI64 && indptr_in.numel() == num_rows + 1,
              "indptr must be i64 [{}], got {}", num_rows + 1, indptr_in.str());
  const int64_t nnz = indices_in.numel();
  TANGO_CHECK_INPUT(num_rows < std::numeric_limits<int32_t>::max() &&
                        num_cols < std::numeric_limits<int32_t>::max() &&
                        nnz < std::numeric_limits<int32_t>::max(),
                    "graph with {} rows, {} columns, {} edges is too large for one rank's 32-bit index "
                    "plan: partition it into more parts",
                    num_rows, num_cols, nnz);
  const int64_t* indptr = indptr_in.data<int64_t>();

  SparseGraph g;
  CsrIndex& fwd = g.csr_;
  fwd.num_rows = num_rows;
  fwd.num_cols = num_cols;
  fwd.indptr = indptr_in.clone();
  if (indices_in.dtype() == DType::kI64)
    fwd.indices = checked_columns(num_rows, num_cols, indptr, indices_in.data<int64_t>(), nnz);
  else
    fwd.indices = checked_columns(num_rows, num_cols, indptr, indices_in.data<int32_t>(), nnz);
  fwd.edge_ids = Tensor::empty(DType::kI32, Shape::vec(nnz));
  fwd.edge_ids_are_identity = true;
  const int32_t* cols = fwd.indices.data<int32_t>();
  int32_t* iota = fwd.edge_ids.data<int32_t>();
  std::vector<int32_t> row_of(nnz);
  g.inverse_in_degree_ = Tensor::empty(DType::kF32, Shape::vec(num_rows));
  float* inv_deg = g.inverse_in_degree_.data<float>();
#pragma omp parallel for schedule(dynamic, 4096)
  for (int64_t r = 0; r < num_rows; ++r) {
    const int64_t degree = indptr[r + 1] - indptr[r];
    inv_deg[r] = degree > 0 ? 1.0f / static_cast<float>(degree) : 0.0f;
    for (int64_t p = indptr[r]; p < indptr[r + 1]; ++p) {
      iota[p] = static_cast<int32_t>(p);
      row_of[p] = static_cast<int32_t>(r);
    }
  }

  // Transpose: count entries per column, prefix-sum, scatter entry ids with atomic cursors, then sort
  // each transposed row so the result does not depend on thread timing.
  CsrIndex& rev = g.csr_t_;
  rev.num_rows = num_cols;
  rev.num_cols = num_rows;
  rev.indptr = Tensor::empty(DType::kI64, Shape::vec(num_cols + 1));
  int64_t* t_indptr = rev.indptr.data<int64_t>();
  std::vector<std::atomic<int64_t>> cursor(num_cols);
#pragma omp parallel for
  for (int64_t c = 0; c < num_cols; ++c) cursor[c].store(0, std::memory_order_relaxed);
#pragma omp parallel for
  for (int64_t p = 0; p < nnz; ++p) cursor[cols[p]].fetch_add(1, std::memory_order_relaxed);
  t_indptr[0] = 0;
  for (int64_t c = 0; c < num_cols; ++c) {
    t_indptr[c + 1] = t_indptr[c] + cursor[c].load(std::memory_order_relaxed);
    cursor[c].store(t_indptr[c], std::memory_order_relaxed);
  }
  rev.edge_ids = Tensor::empty(DType::kI32, Shape::vec(nnz));
  rev.indices = Tensor::empty(DType::kI32, Shape::vec(nnz));
  int32_t* perm = rev.edge_ids.data<int32_t>();
  int32_t* t_cols = rev.indices.data<int32_t>();
#pragma omp parallel for
  for (int64_t p = 0; p < nnz; ++p)
    perm[cursor[cols[p]].fetch_add(1, std::memory_order_relaxed)] = static_cast<int32_t>(p);
#pragma omp parallel for schedule(dynamic, 4096)
  for (int64_t c = 0; c < num_cols; ++c) {
    std::sort(perm + t_indptr[c], perm + t_indptr[c + 1]);
    for (int64_t q = t_indptr[c]; q < t_indptr[c + 1]; ++q) t_cols[q] = row_of[perm[q]];
  }
  rev.edge_ids_are_identity = false;
  return g;
}

CsrIndex SparseGraph::in_incidence() const {
  CsrIndex inc;
  inc.num_rows = csr_.num_rows;
  inc.num_cols = num_edges();
  inc.indptr = csr_.indptr;
  inc.indices = csr_.edge_ids;
  inc.edge_ids = csr_.edge_ids;
  inc.edge_ids_are_identity = true;
  return inc;
}

CsrIndex SparseGraph::out_incidence() const {
  CsrIndex inc;
  inc.num_rows = csr_t_.num_rows;
  inc.num_cols = num_edges();
  inc.indptr = csr_t_.indptr;
  inc.indices = csr_t_.edge_ids;
  inc.edge_ids = csr_.edge_ids;  // entry q of the incidence matrix is its q-th nonzero
  inc.edge_ids_are_identity = true;
  return inc;
}

SparseGraph SparseGraph::to(Device device) const {
  SparseGraph g;
  g.csr_ = copy_index(csr_, device);
  g.csr_t_ = copy_index(csr_t_, device);
  g.inverse_in_degree_ = inverse_in_degree_.to(device);
  return g;
}

CsrIndex csr_row_range(const CsrIndex& whole, int64_t begin, int64_t end, int64_t num_cols) {
  TANGO_CHECK(whole.device().is_cpu() && 0 <= begin && begin <= end && end <= whole.num_rows &&
                  0 <= num_cols && num_cols <= whole.num_cols,
              "rows [{}, {}) over {} columns of a {} x {} CSR on {}: out of range or not on the host", begin,
              end, num_cols, whole.num_rows, whole.num_cols, whole.device().str());
  const int64_t* indptr = whole.indptr.data<int64_t>();
  const int64_t first = indptr[begin], last = indptr[end];
  CsrIndex part;
  part.num_rows = end - begin;
  part.num_cols = num_cols;
  if (begin == 0) {
    part.indptr = whole.indptr.slice_rows(0, end + 1);
  } else {
    part.indptr = Tensor::empty(DType::kI64, Shape::vec(end - begin + 1));
    int64_t* rebased = part.indptr.data<int64_t>();
    for (int64_t r = 0; r <= end - begin; ++r) rebased[r] = indptr[begin + r] - first;
  }
  part.indices = whole.indices.slice_rows(first, last);
  part.edge_ids_are_identity = whole.edge_ids_are_identity;
  if (!whole.edge_ids_are_identity) {
    part.edge_ids = whole.edge_ids.slice_rows(first, last);
    part.edge_value_rows = whole.num_edge_values();
  }
  return part;
}

}  // namespace tango::kernels
