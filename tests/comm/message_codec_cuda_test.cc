// The fused CUDA encode/decode kernels against the CPU passes on the same rows: the wire bytes must
// be identical (same per-element math, same hash draws) and so must the decoded (and accumulated)
// rows. Skipped, with the reason, on a machine without a GPU; absent from CPU-only builds.
#include <gtest/gtest.h>

#ifdef TANGO_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <cmath>
#include <vector>

#include "comm/cpu/message_codec.h"
#include "comm/cuda/message_codec.h"
#include "core/cuda/stream.h"
#include "core/tensor.h"

namespace tango::comm {
namespace {

TEST(MessageCodecCuda, WireBytesAndDecodedRowsMatchTheCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU: the CUDA codec kernels cannot run here";
  const int64_t table_rows = 300, cols = 37, rows = 120;
  std::vector<float> x(table_rows * cols);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::sin(0.7f * static_cast<float>(i)) * ((i / cols) % 3 ? 1.0f : 4.0f);
  for (size_t r = 0; r < static_cast<size_t>(table_rows); r += 4)  // some non-negative rows
    for (int64_t c = 0; c < cols; ++c) x[r * cols + c] = std::fabs(x[r * cols + c]);
  std::vector<int64_t> map_rows(rows);
  for (int64_t i = 0; i < rows; ++i) map_rows[i] = (i * 7) % table_rows;  // distinct, scattered
  Device gpu = Device::cuda(0);
  // The kernels run on the device's stream, where Tensor's fills and copies are queued too.
  cudaStream_t stream = cuda_stream(gpu);
  Tensor table = Tensor::from(x, table_rows, cols).to(gpu);
  Tensor index = Tensor::from(map_rows).to(gpu);
  Tensor stats = Tensor::zeros(DType::kI64, Shape::vec(4), gpu);
  for (const char* name :
       {"fp32", "bf16", "int8", "int4:nearest", "int2", "int8:tensor:nearest", "int4:tensor"}) {
    Codec codec = Codec::parse(name);
    EncodeParams params{11, 5, 0.05f};
    int64_t bytes = codec.message_bytes(rows, cols);
    std::vector<uint8_t> cpu_wire(static_cast<size_t>(bytes));
    EncodeStats cpu_stats;
    cpu::encode_rows(codec, x.data(), cols, RowMap{map_rows.data(), 0}, rows, params, cpu_wire.data(),
                     &cpu_stats);
    Tensor wire = Tensor::zeros(DType::kU8, Shape::vec(bytes), gpu);
    cuda::encode_rows(codec, table.data<float>(), cols, RowMap{index.data<int64_t>(), 0}, rows, params,
                      wire.data<uint8_t>(), reinterpret_cast<double*>(stats.raw_data()), stream);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(wire.to_vector<uint8_t>(), cpu_wire) << name;
    // Decode into the first rows (forward) and add into the scattered rows (backward).
    std::vector<float> expected = x;
    cpu::decode_rows(codec, cpu_wire.data(), rows, cols, params.tensor_scale, expected.data(),
                     RowMap{nullptr, 0}, false);
    cpu::decode_rows(codec, cpu_wire.data(), rows, cols, params.tensor_scale, expected.data(),
                     RowMap{map_rows.data(), 0}, true);
    Tensor out = Tensor::from(x, table_rows, cols).to(gpu);
    cuda::decode_rows(codec, wire.data<uint8_t>(), rows, cols, params.tensor_scale, out.data<float>(),
                      RowMap{nullptr, 0}, false, stream);
    cuda::decode_rows(codec, wire.data<uint8_t>(), rows, cols, params.tensor_scale, out.data<float>(),
                      RowMap{index.data<int64_t>(), 0}, true, stream);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(out.to_vector<float>(), expected) << name;
  }
}

}  // namespace
}  // namespace tango::comm
#endif  // TANGO_HAVE_CUDA
