// GAT's per-head reductions on tables whose rows hold `heads` heads of `width` values
// (element (r, h, d) at (r * heads + h) * width + d). Per-element math: head_ops_math.h.
//   head_scores:          out[r, h] = <z[r, h, :], a[h, :]> for rows [0, rows) (FP32, d in order)
//   head_scores_backward: dz[r, h, :] += ds[r, h] * a[h, :] for rows [0, rows), and
//                         da[h, :] = sum_r ds[r, h] * z[r, h, :] (summed in double)
//   head_mean:            out[r, d] = mean over h of x[r, h, d]
//   head_mean_backward:   dx[r, h, d] = dy[r, d] / heads
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace tango::kernels {

// z f32 [>= rows, heads * width]; a f32 [heads, width]; out f32 [>= rows, heads].
void head_scores(const Tensor& z, int64_t rows, const Tensor& a, Tensor& out);
// ds f32 [>= rows, heads]; dz like z (accumulated); da f32 [heads, width] (overwritten). Either output may
// be undefined to skip it (a row range's dz before the rows' owners need them, da once over all rows).
void head_scores_backward(const Tensor& z, const Tensor& ds, int64_t rows, const Tensor& a, Tensor& dz,
                          Tensor& da);
// x f32 [rows, heads * width]; out f32 [rows, width].
void head_mean(const Tensor& x, int64_t heads, Tensor& out);
// dy f32 [rows, width]; dx f32 [rows, heads * width].
void head_mean_backward(const Tensor& dy, int64_t heads, Tensor& dx);

}  // namespace tango::kernels
