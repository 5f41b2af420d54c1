// CPU (OpenMP) keyed dropouts on host pointers; kernels/keyed_dropout.cc checks and dispatches.
#pragma once

#include <cstdint>

#include "kernels/elementwise_options.h"

namespace tango::kernels::cpu {

void keyed_dropout(const float* x, int64_t rows, int64_t cols, const int64_t* global_ids, float p,
                   uint64_t key, float* y, uint8_t* mask);
void keyed_edge_dropout(const int64_t* indptr, const int32_t* indices, int64_t rows, const int64_t* row_ids,
                        const int64_t* global_ids, int64_t num_global_nodes, int64_t heads, float p,
                        uint64_t key, float* values, uint8_t* mask);
void masked_dropout_backward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx);
void activation_dropout_codes(float* y, int64_t rows, int64_t cols, const int64_t* global_ids, float p,
                              uint64_t key, const ActivationOptions& activation, uint8_t* codes);

}  // namespace tango::kernels::cpu
