#include "kernels/sddmm.h"

#include "core/error.h"
#include "kernels/cpu/sddmm.h"
#include "kernels/sparse_dispatch.h"
#include "kernels/spmm.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/sddmm.h"
#endif

namespace tango::kernels {

namespace {

void run(const SddmmArgs& args, Device device) {
  if (device.is_cpu()) return cpu::sddmm(args);
#ifdef TANGO_HAVE_CUDA
  cuda::sddmm(args, device);
#else
  fail_no_cuda("SDDMM", device);
#endif
}

void run(const EdgeSegmentSumArgs& args, Device device) {
  if (device.is_cpu()) return cpu::edge_segment_sum(args);
#ifdef TANGO_HAVE_CUDA
  cuda::edge_segment_sum(args, device);
#else
  fail_no_cuda("edge segment sum", device);
#endif
}

// Checks and runs one SDDMM; u_width / v_width are the operands' row widths (H for add, H*D for dot).
void sddmm_dispatch(const CsrIndex& adj, SddmmOp op, DenseOperand u, int64_t u_width, DenseOperand v,
                    int64_t v_width, Tensor& out) {
  const Device device = adj.device();
  detail::check_f32(out, "SDDMM output", adj.num_edge_values(), -1, device);
  const int64_t heads = out.cols();
  TANGO_CHECK(
      u_width == v_width && heads >= 1 && u_width % heads == 0 && (op == SddmmOp::kDot || u_width == heads),
      "SDDMM operand widths {} (u) and {} (v) do not fit {} heads", u_width, v_width, heads);
  SddmmArgs args;
  args.csr = detail::csr_view(adj);
  args.op = op;
  args.heads = static_cast<int32_t>(heads);
  args.head_dim = u_width / heads;
  args.u = u;
  args.v = v;
  args.out = out.data<float>();
  run(args, device);
}

void segment_sum_dispatch(const CsrIndex& adj, DenseOperand z, int64_t width, Tensor& out) {
  detail::check_f32(out, "edge segment sum output", adj.num_rows, width, adj.device());
  EdgeSegmentSumArgs args;
  args.csr = detail::csr_view(adj);
  args.width = width;
  args.z = z;
  args.out = out.data<float>();
  run(args, adj.device());
}

// The operands of an SDDMM: u is indexed by column (source) ids, v by row (destination) ids.
void check_operands(const CsrIndex& adj, const Tensor& u, const Tensor& v, const char* op) {
  detail::check_f32(u, fmt::format("{} input u", op), adj.num_cols, -1, adj.device());
  detail::check_f32(v, fmt::format("{} input v", op), adj.num_rows, -1, adj.device());
}
void check_operands(const CsrIndex& adj, const QTensor& u, const QTensor& v, const char* op) {
  detail::check_quantized(u, fmt::format("{} input u", op), adj.num_cols, u.values.cols(), adj.device());
  detail::check_quantized(v, fmt::format("{} input v", op), adj.num_rows, v.values.cols(), adj.device());
}

}  // namespace

void sddmm_u_add_v(const CsrIndex& adj, const Tensor& u, const Tensor& v, Tensor& out) {
  check_operands(adj, u, v, "u_add_v");
  sddmm_dispatch(adj, SddmmOp::kAdd, detail::operand_of(u), u.cols(), detail::operand_of(v), v.cols(), out);
}

void qsddmm_u_add_v(const CsrIndex& adj, const QTensor& u, const QTensor& v, Tensor& out) {
  check_operands(adj, u, v, "u_add_v");
  sddmm_dispatch(adj, SddmmOp::kAdd, detail::operand_of(u), u.values.cols(), detail::operand_of(v),
                 v.values.cols(), out);
}

void sddmm_u_dot_v(const CsrIndex& adj, const Tensor& u, const Tensor& v, Tensor& out) {
  check_operands(adj, u, v, "u_dot_v");
  sddmm_dispatch(adj, SddmmOp::kDot, detail::operand_of(u), u.cols(), detail::operand_of(v), v.cols(), out);
}

void qsddmm_u_dot_v(const CsrIndex& adj, const QTensor& u, const QTensor& v, Tensor& out) {
  check_operands(adj, u, v, "u_dot_v");
  sddmm_dispatch(adj, SddmmOp::kDot, detail::operand_of(u), u.values.cols(), detail::operand_of(v),
                 v.values.cols(), out);
}

void edge_segment_sum(const CsrIndex& adj, const Tensor& z, Tensor& out) {
  detail::check_f32(z, "edge segment sum input", adj.num_edge_values(), -1, adj.device());
  segment_sum_dispatch(adj, detail::operand_of(z), z.cols(), out);
}

void qedge_segment_sum(const CsrIndex& adj, const QTensor& z, Tensor& out) {
  detail::check_quantized(z, "edge segment sum input", adj.num_edge_values(), z.values.cols(), adj.device());
  detail::check_per_tensor_scale(z, "quantized edge values");
  segment_sum_dispatch(adj, detail::operand_of(z), z.values.cols(), out);
}

void sddmm_u_add_v_backward(const SparseGraph& g, const Tensor& dz, Tensor& du, Tensor& dv,
                            EdgeReduceAlgo algo) {
  if (algo == EdgeReduceAlgo::kSegmentSum) {
    if (dv.defined()) edge_segment_sum(g.csr(), dz, dv);
    if (du.defined()) edge_segment_sum(g.csr_t(), dz, du);
  } else {
    if (dv.defined()) spmm_copy_u(g.in_incidence(), dz, dv);
    if (du.defined()) spmm_copy_u(g.out_incidence(), dz, du);
  }
}

void qsddmm_u_add_v_backward(const SparseGraph& g, const QTensor& dz, Tensor& du, Tensor& dv,
                             EdgeReduceAlgo algo) {
  if (algo == EdgeReduceAlgo::kSegmentSum) {
    if (dv.defined()) qedge_segment_sum(g.csr(), dz, dv);
    if (du.defined()) qedge_segment_sum(g.csr_t(), dz, du);
  } else {
    detail::check_per_tensor_scale(dz, "quantized edge gradients");
    if (dv.defined()) qspmm_copy_u(g.in_incidence(), dz, dv);
    if (du.defined()) qspmm_copy_u(g.out_incidence(), dz, du);
  }
}

void sddmm_u_dot_v_backward(const SparseGraph& g, const Tensor& u, const Tensor& v, const Tensor& dz,
                            Tensor& du, Tensor& dv) {
  if (du.defined()) spmm_u_mul_e(g.csr_t(), v, dz, du);
  if (dv.defined()) spmm_u_mul_e(g.csr(), u, dz, dv);
}

void qsddmm_u_dot_v_backward(const SparseGraph& g, const QTensor& u, const QTensor& v, const QTensor& dz,
                             Tensor& du, Tensor& dv) {
  if (du.defined()) qspmm_u_mul_e(g.csr_t(), v, dz, du);
  if (dv.defined()) qspmm_u_mul_e(g.csr(), u, dz, dv);
}

}  // namespace tango::kernels
