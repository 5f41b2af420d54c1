#include "comm/codec.h"

#include <vector>

#include "core/error.h"
#include "kernels/quant_math.h"

namespace tango::comm {

Codec Codec::integer(int bits, ScaleGranularity granularity, Rounding rounding) {
  WireFormat format = bits == 8   ? WireFormat::kInt8
                      : bits == 4 ? WireFormat::kInt4
                      : bits == 2 ? WireFormat::kInt2
                                  : WireFormat::kF32;
  TANGO_CHECK_INPUT(format != WireFormat::kF32, "message codec: {} bits is not one of 8, 4, 2", bits);
  return {format, granularity, rounding};
}

Codec Codec::parse(std::string_view text) {
  Codec codec;
  std::vector<std::string_view> parts;
  for (size_t start = 0; start <= text.size();) {
    size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) colon = text.size();
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view format = parts[0];
  if (format == "fp32")
    codec.format = WireFormat::kF32;
  else if (format == "bf16")
    codec.format = WireFormat::kBF16;
  else if (format == "int8")
    codec.format = WireFormat::kInt8;
  else if (format == "int4")
    codec.format = WireFormat::kInt4;
  else if (format == "int2")
    codec.format = WireFormat::kInt2;
  else
    TANGO_FAIL_INPUT("message codec '{}': format '{}' is not fp32, bf16, int8, int4 or int2", text, format);
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "row")
      codec.granularity = ScaleGranularity::kPerRow;
    else if (parts[i] == "tensor")
      codec.granularity = ScaleGranularity::kPerTensor;
    else if (parts[i] == "nearest")
      codec.rounding = Rounding::kNearest;
    else if (parts[i] == "stochastic")
      codec.rounding = Rounding::kStochastic;
    else
      TANGO_FAIL_INPUT("message codec '{}': option '{}' is not row, tensor, nearest or stochastic", text,
                       parts[i]);
  }
  return codec;
}

std::string Codec::name() const {
  static const char* const formats[] = {"fp32", "bf16", "int8", "int4", "int2"};
  std::string text = formats[static_cast<int>(format)];
  if (quantized()) {
    text += granularity == ScaleGranularity::kPerRow ? ":row" : ":tensor";
    text += rounding == Rounding::kNearest ? ":nearest" : ":stochastic";
  }
  return text;
}

int Codec::bits() const {
  switch (format) {
    case WireFormat::kF32: return 32;
    case WireFormat::kBF16: return 16;
    case WireFormat::kInt8: return 8;
    case WireFormat::kInt4: return 4;
    case WireFormat::kInt2: return 2;
  }
  return 32;
}

int64_t Codec::row_payload_bytes(int64_t cols) const {
  if (!quantized()) return cols * bits() / 8;
  return kernels::packed_row_bytes(cols, bits());
}

int64_t Codec::message_bytes(int64_t rows, int64_t cols) const {
  int64_t scale_bytes = per_row_scales() ? 2 * rows : 0;
  return scale_bytes + rows * row_payload_bytes(cols);
}

}  // namespace tango::comm
