// Row-wise log-softmax + negative log-likelihood over the rows a mask selects, in FP32, with the
// accuracy count. The stats stay on the tensors' device (no host sync); summing the stats across
// ranks and dividing gives the global mean, which is why they are sums plus a count.
//
//   log_probs[r, c] = logits[r, c] - max_c - log(sum_c exp(logits[r, c] - max_c))
//   stats = { mean NLL over masked rows, sum of NLL, #masked rows with argmax == label, #masked rows }
//   backward: dlogits[r, c] = (exp(log_probs[r, c]) - [c == label_r]) / count for masked rows, else 0,
//             with count read from a device f32[1] (stats[3], or a global count after an allreduce).
// The argmax takes the first maximum (as torch.argmax).
#pragma once

#include "core/tensor.h"

namespace tango::kernels {

enum SoftmaxNllStat : int { kMeanLoss = 0, kLossSum = 1, kCorrect = 2, kCount = 3, kNumSoftmaxNllStats = 4 };

// logits f32 [rows, classes]; labels i32 [rows] in [0, classes) for masked rows; mask u8 [rows] or an
// undefined Tensor (every row); log_probs f32 [rows, classes]; stats f32 [4].
void softmax_nll_forward(const Tensor& logits, const Tensor& labels, const Tensor& mask, Tensor& log_probs,
                         Tensor& stats);
// count f32 [1] (normaliser; 0 gives zero gradients).
void softmax_nll_backward(const Tensor& log_probs, const Tensor& labels, const Tensor& mask,
                          const Tensor& count, Tensor& dlogits);

}  // namespace tango::kernels
