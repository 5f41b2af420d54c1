#include "kernels/spmm.h"

#include "core/error.h"
#include "kernels/cpu/spmm.h"
#include "kernels/sddmm.h"
#include "kernels/sparse_dispatch.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/spmm.h"
#endif

namespace tango::kernels {

namespace {

void run(const SpmmArgs& args, Device device) {
  if (device.is_cpu()) {
    cpu::spmm(args);
    return;
  }
#ifdef TANGO_HAVE_CUDA
  cuda::spmm(args, device);
#else
  fail_no_cuda("SpMM", device);
#endif
}

// The one entry point every public SpMM goes through: checks, then runs on the tensors' device.
void spmm_dispatch(const CsrIndex& adj, DenseOperand x, int64_t width, DenseOperand edge, int32_t heads,
                   Tensor& out, const SpmmScaling& scaling) {
  const Device device = adj.device();
  detail::check_f32(out, "SpMM output", adj.num_rows, width, device);
  detail::check_optional_vector(scaling.row_scale, "SpMM row_scale", adj.num_rows, device);
  detail::check_optional_vector(scaling.src_scale, "SpMM src_scale", adj.num_cols, device);
  TANGO_CHECK(heads >= 1 && width % heads == 0, "SpMM feature width {} is not a multiple of {} heads", width,
              heads);
  SpmmArgs args;
  args.csr = detail::csr_view(adj);
  args.heads = heads;
  args.head_dim = width / heads;
  args.x = x;
  args.edge = edge;
  args.row_scale = detail::optional_data(scaling.row_scale);
  args.src_scale = detail::optional_data(scaling.src_scale);
  args.out = out.data<float>();
  run(args, device);
}

SpmmScaling transposed(const SpmmScaling& s) {
  return {s.src_scale, s.row_scale};
}

}  // namespace

void spmm_copy_u(const CsrIndex& adj, const Tensor& x, Tensor& out, const SpmmScaling& scaling) {
  detail::check_f32(x, "SpMM input x", adj.num_cols, -1, adj.device());
  spmm_dispatch(adj, detail::operand_of(x), x.cols(), {}, 1, out, scaling);
}

void qspmm_copy_u(const CsrIndex& adj, const QTensor& x, Tensor& out, const SpmmScaling& scaling) {
  detail::check_quantized(x, "QSpMM input x", adj.num_cols, x.values.cols(), adj.device());
  spmm_dispatch(adj, detail::operand_of(x), x.values.cols(), {}, 1, out, scaling);
}

void spmm_u_mul_e(const CsrIndex& adj, const Tensor& x, const Tensor& edge, Tensor& out) {
  detail::check_f32(x, "SpMM u_mul_e input x", adj.num_cols, -1, adj.device());
  detail::check_f32(edge, "SpMM u_mul_e edge values", adj.num_edge_values(), -1, adj.device());
  spmm_dispatch(adj, detail::operand_of(x), x.cols(), detail::operand_of(edge),
                static_cast<int32_t>(edge.cols()), out, {});
}

void qspmm_u_mul_e(const CsrIndex& adj, const QTensor& x, const QTensor& edge, Tensor& out) {
  detail::check_quantized(x, "QSpMM u_mul_e input x", adj.num_cols, x.values.cols(), adj.device());
  detail::check_quantized(edge, "QSpMM u_mul_e edge values", adj.num_edge_values(), edge.values.cols(),
                          adj.device());
  detail::check_per_tensor_scale(edge, "quantized edge values");
  spmm_dispatch(adj, detail::operand_of(x), x.values.cols(), detail::operand_of(edge),
                static_cast<int32_t>(edge.values.cols()), out, {});
}

namespace {

// The INT8 edge codes of a per-destination-row QTensor without their scales (those go in as row_scale /
// src_scale), after checking the scales are one per destination row of `destinations` rows.
DenseOperand row_scaled_edge(const CsrIndex& adj, const QTensor& edge, int64_t destinations) {
  TANGO_CHECK(edge.values.defined() && edge.values.dtype() == DType::kI8 &&
                  edge.values.rows() == adj.num_edge_values() && edge.values.device() == adj.device(),
              "QSpMM u_mul_e per-row edge values must be i8 [{}, H] on {}, got {}", adj.num_edge_values(),
              adj.device().str(), edge.values.str());
  detail::check_optional_vector(edge.scales, "QSpMM u_mul_e per-destination-row edge scales", destinations,
                                adj.device());
  TANGO_CHECK(edge.scales.defined(), "QSpMM u_mul_e per-row edge values have no scales");
  DenseOperand op;
  op.i8 = edge.values.data<int8_t>();
  return op;
}

}  // namespace

void qspmm_u_mul_e_row_scaled(const CsrIndex& adj, const QTensor& x, const QTensor& edge, Tensor& out) {
  detail::check_quantized(x, "QSpMM u_mul_e input x", adj.num_cols, x.values.cols(), adj.device());
  const DenseOperand e = row_scaled_edge(adj, edge, adj.num_rows);
  spmm_dispatch(adj, detail::operand_of(x), x.values.cols(), e, static_cast<int32_t>(edge.values.cols()), out,
                {edge.scales, {}});
}

void spmm_mean(const SparseGraph& g, const Tensor& x, Tensor& out) {
  spmm_copy_u(g.csr(), x, out, {g.inverse_in_degree(), {}});
}

void qspmm_mean(const SparseGraph& g, const QTensor& x, Tensor& out) {
  qspmm_copy_u(g.csr(), x, out, {g.inverse_in_degree(), {}});
}

void spmm_copy_u_backward(const SparseGraph& g, const Tensor& dy, Tensor& dx, const SpmmScaling& scaling) {
  spmm_copy_u(g.csr_t(), dy, dx, transposed(scaling));
}

void qspmm_copy_u_backward(const SparseGraph& g, const QTensor& dy, Tensor& dx, const SpmmScaling& scaling) {
  qspmm_copy_u(g.csr_t(), dy, dx, transposed(scaling));
}

void spmm_mean_backward(const SparseGraph& g, const Tensor& dy, Tensor& dx) {
  spmm_copy_u(g.csr_t(), dy, dx, {{}, g.inverse_in_degree()});
}

void qspmm_mean_backward(const SparseGraph& g, const QTensor& dy, Tensor& dx) {
  qspmm_copy_u(g.csr_t(), dy, dx, {{}, g.inverse_in_degree()});
}

void spmm_u_mul_e_backward(const SparseGraph& g, const Tensor& x, const Tensor& edge, const Tensor& dy,
                           Tensor& dx, Tensor& d_edge) {
  spmm_u_mul_e(g.csr_t(), dy, edge, dx);
  if (d_edge.defined()) sddmm_u_dot_v(g.csr(), x, dy, d_edge);
}

void qspmm_u_mul_e_backward(const SparseGraph& g, const QTensor& x, const QTensor& edge, const QTensor& dy,
                            Tensor& dx, Tensor& d_edge) {
  // alpha of dX = s_dy * s_edge: both come from the operands themselves.
  qspmm_u_mul_e(g.csr_t(), dy, edge, dx);
  if (d_edge.defined()) qsddmm_u_dot_v(g.csr(), x, dy, d_edge);
}

void qspmm_u_mul_e_row_scaled_transposed(const CsrIndex& reverse, const QTensor& dy, const QTensor& edge,
                                         Tensor& dx) {
  detail::check_quantized(dy, "QSpMM u_mul_e backward dy", reverse.num_cols, dy.values.cols(),
                          reverse.device());
  const DenseOperand e = row_scaled_edge(reverse, edge, reverse.num_cols);
  spmm_dispatch(reverse, detail::operand_of(dy), dy.values.cols(), e,
                static_cast<int32_t>(edge.values.cols()), dx, {{}, edge.scales});
}

void qspmm_u_mul_e_row_scaled_backward(const SparseGraph& g, const QTensor& x, const QTensor& edge,
                                       const QTensor& dy, Tensor& dx, Tensor& d_edge) {
  qspmm_u_mul_e_row_scaled_transposed(g.csr_t(), dy, edge, dx);
  if (d_edge.defined()) qsddmm_u_dot_v(g.csr(), x, dy, d_edge);
}

}  // namespace tango::kernels
