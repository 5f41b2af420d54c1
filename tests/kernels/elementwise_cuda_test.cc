// CUDA small ops (bias, column sums, add, activations) against the CPU.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/elementwise.h"
#include "tests/kernels/test_util.h"

namespace tango::kernels {
namespace {

using testing::expect_close_relative;
using testing::kGpu;
using testing::random_matrix;

TEST(ElementwiseCuda, BiasColumnSumAddAndActivationsMatchCpu) {
  TANGO_REQUIRE_GPU();
  Tensor x = random_matrix(1003, 37, 1, -2.0f, 2.0f), bias = random_matrix(1, 37, 2).reshaped(Shape::vec(37));
  Tensor y = x.clone(), yg = x.to(kGpu);
  bias_add(y, bias);
  bias_add(yg, bias.to(kGpu));
  EXPECT_EQ(yg.to_vector<float>(), y.to_vector<float>());
  Tensor sum = x.clone(), sumg = x.to(kGpu);
  add_inplace(sum, y);
  add_inplace(sumg, yg);
  EXPECT_EQ(sumg.to_vector<float>(), sum.to_vector<float>());
  Tensor s = Tensor::empty(DType::kF32, Shape::vec(37)), sg = Tensor::empty(DType::kF32, s.shape(), kGpu);
  column_sum(x, s);
  column_sum(x.to(kGpu), sg);
  expect_close_relative(sg, s, 1003 * 1.2e-7 * 2, "column_sum");
  for (auto kind : {Activation::kRelu, Activation::kElu, Activation::kLeakyRelu}) {
    ActivationOptions opt{kind, kind == Activation::kElu ? 1.0f : 0.2f};
    Tensor a = Tensor::empty(DType::kF32, x.shape()), ag = Tensor::empty(DType::kF32, x.shape(), kGpu);
    activation_forward(x, a, opt);
    activation_forward(x.to(kGpu), ag, opt);
    expect_close_relative(ag, a, 4 * 1.2e-7, "activation forward");  // expf: a few ulps apart at most
    Tensor d = Tensor::empty(DType::kF32, x.shape()), dg = Tensor::empty(DType::kF32, x.shape(), kGpu);
    activation_backward(x, y, d, opt);
    activation_backward(x.to(kGpu), yg, dg, opt);
    expect_close_relative(dg, d, 4 * 1.2e-7, "activation backward");
  }
}

TEST(ElementwiseCuda, ActivationCodesMatchCpu) {
  TANGO_REQUIRE_GPU();
  Tensor x = random_matrix(1003, 37, 3, -3.0f, 3.0f), dy = random_matrix(1003, 37, 4);
  Tensor mask = Tensor::empty(DType::kU8, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) mask.data<uint8_t>()[i] = i % 3 != 0 ? 1 : 0;
  for (auto kind : {Activation::kRelu, Activation::kElu, Activation::kLeakyRelu}) {
    const ActivationOptions opt{kind, kind == Activation::kElu ? 1.0f : 0.2f};
    Tensor codes = Tensor::empty(DType::kU8, x.shape()), codes_g = Tensor::empty(DType::kU8, x.shape(), kGpu);
    activation_derivative_codes(x, mask, opt, codes);
    activation_derivative_codes(x.to(kGpu), mask.to(kGpu), opt, codes_g);
    const std::vector<uint8_t> cpu = codes.to_vector<uint8_t>(), gpu = codes_g.to_vector<uint8_t>();
    for (size_t i = 0; i < cpu.size(); ++i)  // expf a few ulps apart can move a rounding tie by one code
      EXPECT_LE(std::abs(int{cpu[i]} - int{gpu[i]}), kind == Activation::kElu ? 1 : 0) << i;
    Tensor d = Tensor::empty(DType::kF32, x.shape()), dg = Tensor::empty(DType::kF32, x.shape(), kGpu);
    coded_activation_backward(codes, dy, 1.25f, d);
    coded_activation_backward(codes.to(kGpu), dy.to(kGpu), 1.25f, dg);
    EXPECT_EQ(dg.to_vector<float>(), d.to_vector<float>());
  }
}

}  // namespace
}  // namespace tango::kernels
