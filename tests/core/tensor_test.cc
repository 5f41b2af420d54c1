#include "core/tensor.h"

#include <gtest/gtest.h>

#include <numeric>

namespace tango {
namespace {

TEST(Tensor, EmptyHasShapeDtypeAndAlignedStorage) {
  Tensor t = Tensor::empty(DType::kF32, Shape::mat(7, 3));
  EXPECT_EQ(t.rows(), 7);
  EXPECT_EQ(t.cols(), 3);
  EXPECT_EQ(t.numel(), 21);
  EXPECT_EQ(t.nbytes(), 84u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data<float>()) % 64, 0u);
  EXPECT_EQ(t.str(), "f32[7, 3] on cpu");
}

TEST(Tensor, ZerosAreZero) {
  Tensor t = Tensor::zeros(DType::kI64, Shape::vec(33));
  for (int64_t v : t.to_vector<int64_t>()) EXPECT_EQ(v, 0);
}

TEST(Tensor, WrongDtypeAccessThrows) {
  Tensor t = Tensor::empty(DType::kI32, Shape::vec(4));
  EXPECT_THROW(t.data<float>(), Error);
}

TEST(Tensor, SliceRowsSharesStorageAndOutlivesParent) {
  std::vector<float> values(12);
  std::iota(values.begin(), values.end(), 0.f);
  Tensor view;
  {
    Tensor parent = Tensor::from(values, 4, 3);
    view = parent.slice_rows(1, 3);
    view.data<float>()[0] = 100.f;  // writes through to the parent's row 1
    EXPECT_EQ(parent.data<float>()[3], 100.f);
  }
  // The parent handle is gone; the view still owns a reference to the storage.
  EXPECT_EQ(view.rows(), 2);
  EXPECT_EQ(view.to_vector<float>(), (std::vector<float>{100, 4, 5, 6, 7, 8}));
}

TEST(Tensor, SliceRowsRejectsOutOfRange) {
  Tensor t = Tensor::empty(DType::kF32, Shape::mat(4, 2));
  EXPECT_THROW(t.slice_rows(3, 5), Error);
  EXPECT_THROW(t.slice_rows(2, 1), Error);
  EXPECT_EQ(t.slice_rows(4, 4).rows(), 0);
}

TEST(Tensor, CloneIsADeepCopy) {
  Tensor a = Tensor::from(std::vector<int32_t>{1, 2, 3});
  Tensor b = a.clone();
  b.data<int32_t>()[0] = 9;
  EXPECT_EQ(a.data<int32_t>()[0], 1);
  EXPECT_EQ(b.to_vector<int32_t>(), (std::vector<int32_t>{9, 2, 3}));
}

TEST(Tensor, CopyFromChecksDtypeAndSize) {
  Tensor a = Tensor::from(std::vector<float>{1, 2, 3, 4});
  Tensor b = Tensor::empty(DType::kF32, Shape::mat(2, 2));
  b.copy_from(a);
  EXPECT_EQ(b.to_vector<float>(), a.to_vector<float>());
  EXPECT_THROW(b.copy_from(Tensor::from(std::vector<float>{1, 2})), Error);
  EXPECT_THROW(b.copy_from(Tensor::from(std::vector<int32_t>{1, 2, 3, 4})), Error);
}

TEST(Tensor, ReshapeKeepsElements) {
  Tensor a = Tensor::from(std::vector<uint8_t>{1, 2, 3, 4, 5, 6});
  Tensor b = a.reshaped(Shape::mat(2, 3));
  EXPECT_EQ(b.cols(), 3);
  EXPECT_EQ(b.data<uint8_t>()[5], 6);
  EXPECT_THROW(a.reshaped(Shape::mat(4, 2)), Error);
}

TEST(Tensor, MemoryStatsCountLiveBytesAndPeak) {
  reset_peak_memory(Device::Kind::kCPU);
  int64_t before = memory_stats(Device::Kind::kCPU).current_bytes;
  {
    Tensor t = Tensor::empty(DType::kF32, Shape::vec(1000));
    EXPECT_EQ(memory_stats(Device::Kind::kCPU).current_bytes, before + 4000);
  }
  EXPECT_EQ(memory_stats(Device::Kind::kCPU).current_bytes, before);
  EXPECT_GE(memory_stats(Device::Kind::kCPU).peak_bytes, before + 4000);
}

TEST(Device, DiscoveryNeverCrashesAndCudaTensorsNeedAGpu) {
  int count = cuda_device_count();
  EXPECT_GE(count, 0);
  EXPECT_FALSE(describe_devices().empty());
  if (count > 0) {
    Tensor host = Tensor::from(std::vector<float>{1, 2, 3});
    Tensor dev = host.to(Device::cuda(0));
    EXPECT_EQ(dev.to_vector<float>(), host.to_vector<float>());
  } else {
    EXPECT_THROW(Tensor::empty(DType::kF32, Shape::vec(4), Device::cuda(0)), Error);
  }
}

}  // namespace
}  // namespace tango
