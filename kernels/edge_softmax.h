// Edge softmax (GAT): for every destination row r of `adj` and head h, a softmax over r's incoming edges
//   probs[e, h] = exp(s[e, h] - m) / sum_{e' into r} exp(s[e', h] - m),   m = max_{e' into r} s[e', h]
// in FP32 (subtracting the row max keeps it finite for any logits). Scores and probs are [E, H] in
// canonical edge order. A row without edges produces nothing.
// Backward: ds[e, h] = p[e, h] * (dp[e, h] - sum_{e' into r} p[e', h] dp[e', h]); ds may be dp itself (each
// row's sum is read before any of its entries is written).
// LeakyReLU before the softmax is the elementwise kernels' job.
#pragma once

#include "core/tensor.h"
#include "kernels/sparse_graph.h"

namespace tango::kernels {

void edge_softmax(const CsrIndex& adj, const Tensor& scores, Tensor& probs);
void edge_softmax_backward(const CsrIndex& adj, const Tensor& probs, const Tensor& grad_probs,
                           Tensor& grad_scores);

}  // namespace tango::kernels
