// The trainer's thin adapter over the kernels: every numeric step a layer takes, named as math, so
// that layer code reads like the equations in its header and a kernel API change stays in ops.cc.
// Every op runs where its tensors live (CPU or one CUDA device; kernels/ dispatches on the device) and
// nothing here reads device memory from the host.
//
// Dense products go through kernels/gemm.h (OpenBLAS / oneDNN INT8 on CPUs, cuBLAS(Lt) on GPUs;
// QGEMM out = s_a * s_b * (A_q B_q) with per-tensor scales); sparse aggregation through kernels/spmm.h,
// kernels/sddmm.h and kernels/edge_softmax.h; quantization through kernels/quantize.h. The small
// elementwise steps go through kernels/elementwise.h, the dropouts keyed by GLOBAL node id (so that masks
// agree across rank counts) through kernels/keyed_dropout.h, the loss (summed in double, divided by a
// global count) and accuracy counts through kernels/masked_nll.h. FP32 by Tango's rules.
// All tensors are f32 unless stated, on one device.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/tensor.h"
#include "kernels/elementwise_math.h"
#include "kernels/qtensor.h"
#include "kernels/sparse_graph.h"

namespace tango::trainer {

// Quantizes f32 x per tensor to INT8 (nearest rounding, scale = amax / 127). `operand` names it for the
// quantization telemetry (trainer/quant_telemetry.h: measured only inside an open scope).
kernels::QTensor quantize_int8(const Tensor& x, std::string_view operand = {});
// The same with one scale per row of x (amax of the row / 127).
kernels::QTensor quantize_int8_rows(const Tensor& x, std::string_view operand = {});
// Per tensor with stochastic rounding (unbiased), each element's draw keyed by (seed, stream, index).
kernels::QTensor quantize_int8_stochastic(const Tensor& x, uint64_t seed, uint64_t stream,
                                          std::string_view operand = {});

// Stochastic rounding with one scale per block of `block_rows` consecutive rows (the last block may be
// shorter): scales [ceil(rows / block_rows)]; block b is quantized per tensor, its draws keyed by (seed,
// stream + (b << 32), index in the block). For a product that sums over rows (qgemm_row_blocks).
kernels::QTensor quantize_int8_stochastic_blocks(const Tensor& x, int64_t block_rows, uint64_t seed,
                                                 uint64_t stream, std::string_view operand = {});

// C = op(A) op(B), op = transpose when the flag is set (kernels/gemm.h).
void gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, Tensor& c);
// The same product from INT8 operands, accumulated in int32 and scaled once: s_a * s_b * (A_q B_q).
void qgemm(const kernels::QTensor& a, bool transpose_a, const kernels::QTensor& b, bool transpose_b,
           Tensor& c);

// C = A^T B, summed over B's row blocks: sum_b s_A s_b (A_q[block b]^T B_q[block b]), each block's product
// in INT32 scaled once, in block order, in one QGEMM (kernels/gemm.h b_scale_block_rows); A [rows, m] with
// one scale, B [rows, n] with one per block of `block_rows` rows; C [m, n].
void qgemm_row_blocks(const kernels::QTensor& a, const kernels::QTensor& b, int64_t block_rows, Tensor& c);

// y[r, :] += bias; grad_bias = column sums of dy (kernels/elementwise.h).
void add_bias(Tensor& y, const Tensor& bias);
void bias_grad(const Tensor& dy, Tensor& grad_bias);

// y += x (same shape).
void add_into(Tensor& y, const Tensor& x);

// y = act(x) (y may be x); dy *= act'(x) with x the activation's input. alpha: ELU alpha or the
// LeakyReLU slope.
void activate(const Tensor& x, Tensor& y, kernels::Activation kind, float alpha = 0.0f);
void activate_backward(const Tensor& x, Tensor& dy, kernels::Activation kind, float alpha = 0.0f);
// The same backward without x: codes (u8, x's size) = rint(255 act'(x)), 0 where `keep_mask` (optional:
// the mask of a dropout applied to act(x)) dropped the value (kernels/elementwise_math.h); then
// dy = (dy keep_scale) codes / 255, with keep_scale = dropout_keep_scale(p) when a mask was folded in.
// Exact for ReLU and LeakyReLU 0.2; ELU's derivative to 1/510.
Tensor activation_codes(const Tensor& x, const Tensor& keep_mask, kernels::Activation kind, float alpha);
void coded_activation_backward(const Tensor& codes, float keep_scale, Tensor& dy);

// Inverted dropout with a mask that is a pure function of (seed, stream, global row id, column):
// element (r, j) is kept when its 24-bit uniform draw (half of hash(seed, stream, global id, j / 2)) is
// >= p, and then scaled by 1 / (1 - p). The same node gets the same mask on every rank and at any rank count.
// `mask` (u8, same shape) records what was kept for the backward pass.
void dropout(const Tensor& x, Tensor& y, Tensor& mask, float p, uint64_t seed, uint64_t stream,
             const Tensor& global_ids);
void dropout_backward(const Tensor& dy, const Tensor& mask, float p, Tensor& dx);
// 1 / (1 - p) as the dropout kernels compute it in float.
inline float dropout_keep_scale(float p) {
  return 1.0f / (1.0f - p);
}
// activate() then dropout() in place on y (p = 0: no dropout), returning activation_codes() of the old y
// with that dropout's mask folded in: the same bits as the three calls, in one pass that never holds y,
// act(y) and the mask together (the INT8 model between layers).
Tensor activate_dropout_coded(Tensor& y, kernels::Activation kind, float alpha, float p, uint64_t seed,
                              uint64_t stream, const Tensor& global_ids);

// Dropout of edge values [E, H] in place, entry p of `csr` (row r, column c) keyed by the GLOBAL edge
// (global_ids[first_row + r], global_ids[c]) and the head, so every rank count draws the same mask; `mask`
// (u8 [E, H]) records what was kept. first_row: where `csr`'s rows start when it is a row range.
void edge_dropout(const kernels::CsrIndex& csr, const Tensor& global_ids, int64_t num_global_nodes,
                  Tensor& values, Tensor& mask, float p, uint64_t seed, uint64_t stream,
                  int64_t first_row = 0);

// Sum over rows r with mask[r] of -log_softmax(logits)[r, label[r]], and d(sum / normalizer)/d logits
// into grad (zero rows outside the mask). The sum (not divided) goes to scalars[slot] (i64 [n] on the
// logits' device, holding the f64's bits: read with kernels::scalar_as_double after one copy).
void log_softmax_nll(const Tensor& logits, const Tensor& labels, const Tensor& mask, double normalizer,
                     Tensor& grad, Tensor& scalars, int slot);
// The same, returning the sum to the host (a copy: tests, not the epoch loop).
double log_softmax_nll(const Tensor& logits, const Tensor& labels, const Tensor& mask, double normalizer,
                       Tensor& grad);
// scalars[slot] = rows of `mask` whose arg-max logit equals the label (stays on the device).
void count_correct(const Tensor& logits, const Tensor& labels, const Tensor& mask, Tensor& scalars, int slot);
// The same, returned to the host.
int64_t count_correct(const Tensor& logits, const Tensor& labels, const Tensor& mask);

}  // namespace tango::trainer
