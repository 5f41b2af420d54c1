#include "kernels/edge_softmax.h"

#include "core/error.h"
#include "kernels/cpu/edge_softmax.h"
#include "kernels/sparse_dispatch.h"
#ifdef TANGO_HAVE_CUDA
#include "kernels/cuda/edge_softmax.h"
#endif

namespace tango::kernels {

namespace {

void run(const EdgeSoftmaxArgs& args, Device device, bool backward) {
  if (device.is_cpu()) return backward ? cpu::edge_softmax_backward(args) : cpu::edge_softmax(args);
#ifdef TANGO_HAVE_CUDA
  backward ? cuda::edge_softmax_backward(args, device) : cuda::edge_softmax(args, device);
#else
  fail_no_cuda("edge softmax", device);
#endif
}

}  // namespace

void edge_softmax(const CsrIndex& adj, const Tensor& scores, Tensor& probs) {
  const Device device = adj.device();
  detail::check_f32(scores, "edge softmax scores", adj.num_entries(), -1, device);
  detail::check_f32(probs, "edge softmax output", adj.num_entries(), scores.cols(), device);
  EdgeSoftmaxArgs args;
  args.csr = detail::csr_view(adj);
  args.heads = static_cast<int32_t>(scores.cols());
  args.scores = scores.data<float>();
  args.out = probs.data<float>();
  run(args, device, false);
}

void edge_softmax_backward(const CsrIndex& adj, const Tensor& probs, const Tensor& grad_probs,
                           Tensor& grad_scores) {
  const Device device = adj.device();
  detail::check_f32(probs, "edge softmax probs", adj.num_entries(), -1, device);
  detail::check_f32(grad_probs, "edge softmax grad of probs", adj.num_entries(), probs.cols(), device);
  detail::check_f32(grad_scores, "edge softmax grad of scores", adj.num_entries(), probs.cols(), device);
  EdgeSoftmaxArgs args;
  args.csr = detail::csr_view(adj);
  args.heads = static_cast<int32_t>(probs.cols());
  args.probs = probs.data<float>();
  args.grad_probs = grad_probs.data<float>();
  args.out = grad_scores.data<float>();
  run(args, device, true);
}

}  // namespace tango::kernels
