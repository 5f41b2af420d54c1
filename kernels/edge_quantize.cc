#include "kernels/edge_quantize.h"

#include "core/error.h"
#include "kernels/cpu/edge_quantize.h"
#include "kernels/sparse_dispatch.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/edge_quantize.h"
#endif

namespace tango::kernels {

QTensor make_edge_row_qtensor(const CsrIndex& adj, int64_t heads) {
  return {Tensor::empty(DType::kI8, Shape::mat(adj.num_entries(), heads), adj.device()),
          Tensor::empty(DType::kF32, Shape::vec(adj.num_rows), adj.device())};
}

void quantize_edges_per_row(const CsrIndex& adj, const Tensor& edge, QTensor& out) {
  const Device device = adj.device();
  detail::check_f32(edge, "per-row edge quantizer input", adj.num_entries(), -1, device);
  const int64_t heads = edge.cols();
  TANGO_CHECK(heads >= 1, "per-row edge quantizer: the edge values need at least one head, got {}",
              edge.str());
  TANGO_CHECK(out.values.defined() && out.values.dtype() == DType::kI8 &&
                  out.values.shape() == edge.shape() && out.values.device() == device,
              "per-row edge quantizer output values must be i8 {} on {}, got {}", edge.shape().str(),
              device.str(), out.values.str());
  detail::check_optional_vector(out.scales, "per-row edge quantizer scales", adj.num_rows, device);
  TANGO_CHECK(out.scales.defined(),
              "per-row edge quantizer: the output has no scales (use make_edge_row_qtensor)");
  EdgeRowQuantizeArgs args;
  args.csr = detail::csr_view(adj);
  args.heads = static_cast<int32_t>(heads);
  args.edge = edge.data<float>();
  args.values = out.values.data<int8_t>();
  args.scales = out.scales.data<float>();
  if (device.is_cpu()) return cpu::quantize_edges_per_row(args);
#ifdef TANGO_HAVE_CUDA
  cuda::quantize_edges_per_row(args, device);
#else
  TANGO_FAIL("per-row edge quantizer on {}: this build has no CUDA backend (reconfigure with CUDA)",
             device.str());
#endif
}

}  // namespace tango::kernels
