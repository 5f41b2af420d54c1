// What a layer (or the model) holds from its forward pass for its backward pass, in bytes by kind:
// FP32 tensors (activations, and the f32 scales of INT8 codes), INT8 codes, and u8 tensors (dropout
// masks, activation-derivative codes). Views count their own elements; a tensor two holders share is
// counted by each. `tango-train` logs it per layer at debug level and puts it in the summary
// (`saved_for_backward`), so the INT8 caching rule (trainer/layers/README.md) can be checked on a run.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/qtensor.h"

namespace tango::trainer {

struct SavedBytes {
  int64_t fp32 = 0;  // f32 tensors, INT8 scales included
  int64_t int8 = 0;  // INT8 codes
  int64_t u8 = 0;    // masks and derivative codes
  int64_t other = 0;

  void add(const Tensor& t);  // nothing when undefined
  void add(const kernels::QTensor& q) {
    add(q.values);
    add(q.scales);
  }
  SavedBytes& operator+=(const SavedBytes& o) {
    fp32 += o.fp32;
    int8 += o.int8;
    u8 += o.u8;
    other += o.other;
    return *this;
  }
  int64_t total() const { return fp32 + int8 + u8 + other; }
};

}  // namespace tango::trainer
