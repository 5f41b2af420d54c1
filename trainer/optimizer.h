// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter) on the model's parameters, in FP32, applied on
// every rank to the allreduced gradients so that the weights stay identical everywhere. The update
// itself is kernels/adam.h (torch's formulas); this class owns the moments, the step count and their
// checkpoint form.
//   adam:  g += wd * w (L2 in the gradient, as torch.optim.Adam)
//   adamw: w -= lr * wd * w (decoupled)
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) +
//   eps)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "trainer/layers/layer.h"

namespace tango::trainer {

struct AdamOptions {
  float lr = 0.01f;
  float weight_decay = 0.0f;
  bool decoupled = false;  // AdamW
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
};

class Adam {
 public:
  Adam(std::vector<Parameter*> parameters, AdamOptions options);

  void step();
  int64_t steps() const { return steps_; }

  // State as named host tensors ("adam.m.<param>", "adam.v.<param>", "adam.steps") for checkpoints;
  // load copies them back to the parameters' device.
  void save(std::map<std::string, Tensor>& tensors) const;
  void load(const std::map<std::string, Tensor>& tensors, const std::string& origin);

 private:
  std::vector<Parameter*> parameters_;
  AdamOptions options_;
  std::vector<Tensor> m_, v_;
  int64_t steps_ = 0;
};

}  // namespace tango::trainer
