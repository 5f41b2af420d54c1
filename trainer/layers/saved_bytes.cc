#include "trainer/layers/saved_bytes.h"

namespace tango::trainer {

void SavedBytes::add(const Tensor& t) {
  if (!t.defined()) return;
  const auto bytes = static_cast<int64_t>(t.nbytes());
  switch (t.dtype()) {
    case DType::kF32: fp32 += bytes; break;
    case DType::kI8: int8 += bytes; break;
    case DType::kU8: u8 += bytes; break;
    default: other += bytes; break;
  }
}

}  // namespace tango::trainer
