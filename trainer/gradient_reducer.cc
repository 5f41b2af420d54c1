#include "trainer/gradient_reducer.h"

namespace tango::trainer {

GradientReducer::GradientReducer(comm::Communicator& comm, const std::vector<std::vector<Parameter*>>& layers,
                                 Device device, bool overlap)
    : comm_(comm), overlap_(overlap) {
  const int64_t align = device.is_cuda() ? 64 : 1;
  auto padded = [&](int64_t n) { return (n + align - 1) / align * align; };
  int64_t total = 0;
  for (const auto& params : layers) {
    for (const Parameter* p : params) total += padded(p->grad.numel());
  }
  flat_ = Tensor::zeros(DType::kF32, Shape::vec(total), device);
  int64_t offset = 0;
  for (const auto& params : layers) {
    const int64_t begin = offset;
    for (Parameter* p : params) {
      const int64_t n = p->grad.numel();
      p->grad = flat_.slice_rows(offset, offset + n).reshaped(p->grad.shape());
      offset += padded(n);
    }
    buckets_.emplace_back(begin, offset);
  }
  in_flight_.resize(buckets_.size());
  next_report_ = next_start_ = num_layers() - 1;
}

void GradientReducer::start(int layer) {
  next_start_ = layer - 1;
  const auto [begin, end] = buckets_[static_cast<size_t>(layer)];
  if (comm_.size() > 1 && end > begin) {
    Tensor bucket = flat_.slice_rows(begin, end);
    in_flight_[static_cast<size_t>(layer)] =
        std::make_unique<comm::AsyncAllreduce>(comm_, bucket, comm::ReduceOp::kSum);
  }
}

void GradientReducer::layer_done(int layer) {
  TANGO_CHECK(layer == next_report_, "gradients of layer {} reported when layer {} was due (last to first)",
              layer, next_report_);
  --next_report_;
  if (!overlap_) return;
  start(layer);
  if (in_flight_[static_cast<size_t>(layer)]) ++started_early_;
  progress();
}

void GradientReducer::progress() {
  for (auto& reduction : in_flight_) {
    if (reduction) reduction->test();
  }
}

void GradientReducer::finish() {
  while (next_start_ >= 0) start(next_start_);
  for (auto& reduction : in_flight_) {
    if (reduction) reduction->wait();
    reduction.reset();
  }
  next_report_ = next_start_ = num_layers() - 1;
}

}  // namespace tango::trainer
