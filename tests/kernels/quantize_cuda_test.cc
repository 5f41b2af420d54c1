// CUDA quantization kernels against the CPU ones on the same inputs: the per-element math is shared
// (kernels/quant_math.h), so codes must match exactly, including stochastic draws; amax is exact too.
#include <gtest/gtest.h>

#include "kernels/quantize.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::random_matrix;

// Sizes straddle the 4-wide vector path and its tail; 1031 columns exceed one warp's stride many times.
struct Case {
  int64_t rows, cols;
};
const Case kShapes[] = {{1, 1}, {1, 7}, {3, 5}, {17, 33}, {257, 130}, {5, 1031}, {4096, 64}};

TEST(QuantizeCuda, AmaxMatchesCpuExactly) {
  TANGO_REQUIRE_GPU();
  for (Case c : kShapes) {
    Tensor x = random_matrix(c.rows, c.cols, 3, -5.0f, 4.0f);
    Tensor xg = x.to(Device::cuda(0));
    Tensor a = Tensor::empty(DType::kF32, Shape::vec(1)),
           ag = Tensor::empty(DType::kF32, Shape::vec(1), xg.device());
    Tensor r = Tensor::empty(DType::kF32, Shape::vec(c.rows)),
           rg = Tensor::empty(DType::kF32, r.shape(), xg.device());
    amax(x, a);
    amax(xg, ag);
    amax_rows(x, r);
    amax_rows(xg, rg);
    EXPECT_EQ(ag.to_vector<float>(), a.to_vector<float>()) << c.rows << "x" << c.cols;
    EXPECT_EQ(rg.to_vector<float>(), r.to_vector<float>()) << c.rows << "x" << c.cols;
  }
}

TEST(QuantizeCuda, AmaxOfUnalignedViewUsesScalarPath) {
  TANGO_REQUIRE_GPU();
  Tensor x = random_matrix(1001, 3, 8);
  Tensor view = x.to(Device::cuda(0)).slice_rows(1, 1001);  // 12-byte offset: not 16-byte aligned
  Tensor a = Tensor::empty(DType::kF32, Shape::vec(1)),
         ag = Tensor::empty(DType::kF32, Shape::vec(1), view.device());
  amax(x.slice_rows(1, 1001), a);
  amax(view, ag);
  EXPECT_EQ(ag.to_vector<float>(), a.to_vector<float>());
}

TEST(QuantizeCuda, CodesAndScalesMatchCpuForEveryFormatRoundingAndGranularity) {
  TANGO_REQUIRE_GPU();
  for (auto format : {QuantFormat::kInt8, QuantFormat::kUint8, QuantFormat::kInt4, QuantFormat::kInt2})
    for (auto g : {ScaleGranularity::kPerTensor, ScaleGranularity::kPerRow})
      for (auto rounding : {Rounding::kNearest, Rounding::kStochastic})
        for (Case c : kShapes) {
          QuantizeOptions opt{
              .format = format, .granularity = g, .rounding = rounding, .seed = 5, .stream = 9};
          Tensor x = random_matrix(c.rows, c.cols, 4, format == QuantFormat::kUint8 ? 0.0f : -1.0f, 1.0f);
          QTensor q = make_qtensor(c.rows, c.cols, opt, Device::cpu());
          QTensor qg = make_qtensor(c.rows, c.cols, opt, Device::cuda(0));
          quantize(x, q, opt);
          quantize(x.to(Device::cuda(0)), qg, opt);
          SCOPED_TRACE(::testing::Message()
                       << "format " << int(format) << " per_row " << int(g) << " stochastic " << int(rounding)
                       << " shape " << c.rows << "x" << c.cols);
          EXPECT_EQ(qg.scales.to_vector<float>(), q.scales.to_vector<float>());
          if (format == QuantFormat::kInt8)
            EXPECT_EQ(qg.values.to_vector<int8_t>(), q.values.to_vector<int8_t>());
          else
            EXPECT_EQ(qg.values.to_vector<uint8_t>(), q.values.to_vector<uint8_t>());
          Tensor back = Tensor::empty(DType::kF32, x.shape()),
                 backg = Tensor::empty(DType::kF32, x.shape(), qg.values.device());
          dequantize(q, back, opt);
          dequantize(qg, backg, opt);
          EXPECT_EQ(backg.to_vector<float>(), back.to_vector<float>());
        }
}

TEST(QuantizeCuda, Bf16CastsMatchCpu) {
  TANGO_REQUIRE_GPU();
  Tensor x = random_matrix(33, 65, 6, -1e4f, 1e4f);
  Tensor b = Tensor::empty(DType::kBF16, x.shape()),
         bg = Tensor::empty(DType::kBF16, x.shape(), Device::cuda(0));
  cast_to_bf16(x, b);
  cast_to_bf16(x.to(Device::cuda(0)), bg);
  Tensor back = Tensor::empty(DType::kF32, x.shape()),
         backg = Tensor::empty(DType::kF32, x.shape(), Device::cuda(0));
  cast_from_bf16(b, back);
  cast_from_bf16(bg, backg);
  EXPECT_EQ(backg.to_vector<float>(), back.to_vector<float>());
}

}  // namespace
}  // namespace tango::kernels
