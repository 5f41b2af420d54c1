// The trainer's dropouts, keyed by GLOBAL ids so that K ranks draw the masks 1 rank draws, with the
// keep mask stored (u8) for the backward pass. Per-element draws: keyed_dropout_math.h.
//   keyed_dropout:      element (r, j) of x [rows, cols] is kept when draw(key, global_ids[r], j) >= p,
//                       then scaled by 1 / (1 - p); key = stream_key(seed, stream).
//   keyed_edge_dropout: entry e of `csr` (row r, column c) and head h of values [E, H], in place, keyed
//                       by the global edge (global_ids[first_row + r], global_ids[c]) and h; first_row > 0
//                       when `csr` is a row range of a part's adjacency (its columns stay the part's).
//   masked_dropout_backward: dx = dy * mask / (1 - p) (dx may be dy).
//   activation_dropout_codes: in place on a layer's output y [rows, cols]: y <- keyed_dropout(act(y)) with
//                       the bits of activation_forward then keyed_dropout, and codes (u8 [rows, cols]) <-
//                       the activation's derivative code at the old y with the keep bit folded in (what
//                       elementwise.h's activation_derivative_codes gives with that dropout's mask). One
//                       pass: an INT8 model never holds y, act(y) and the mask side by side. p = 0 keeps all.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/elementwise_options.h"
#include "kernels/sparse_graph.h"

namespace tango::kernels {

struct KeyedDropoutOptions {
  float p = 0.0f;  // drop probability in [0, 1)
  uint64_t seed = 0;
  uint64_t stream = 0;
};

// x, y f32 [rows, cols] (y may be x); mask u8 [rows, cols]; global_ids i64 [>= rows].
void keyed_dropout(const Tensor& x, Tensor& y, Tensor& mask, const Tensor& global_ids,
                   const KeyedDropoutOptions& options);
// values f32 [csr entries, heads], mask u8 of the same shape; global_ids i64 [>= max(first_row + rows,
// cols)].
void keyed_edge_dropout(const CsrIndex& csr, const Tensor& global_ids, int64_t num_global_nodes,
                        Tensor& values, Tensor& mask, const KeyedDropoutOptions& options,
                        int64_t first_row = 0);
void masked_dropout_backward(const Tensor& dy, const Tensor& mask, float p, Tensor& dx);
// y f32 [rows, cols] in place; codes u8 [rows, cols]; global_ids i64 [>= rows].
void activation_dropout_codes(Tensor& y, Tensor& codes, const Tensor& global_ids,
                              const ActivationOptions& activation, const KeyedDropoutOptions& options);

}  // namespace tango::kernels
