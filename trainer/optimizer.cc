#include "trainer/optimizer.h"

#include <cmath>

namespace tango::trainer {

Adam::Adam(std::vector<Parameter*> parameters, AdamOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  for (Parameter* p : parameters_) {
    m_.push_back(Tensor::zeros(DType::kF32, p->value.shape()));
    v_.push_back(Tensor::zeros(DType::kF32, p->value.shape()));
  }
}

void Adam::step() {
  ++steps_;
  const double t = static_cast<double>(steps_);
  const float correction1 = static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta1), t));
  const float correction2 = static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta2), t));
  const float lr = options_.lr, wd = options_.weight_decay, b1 = options_.beta1, b2 = options_.beta2;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    float* w = parameters_[i]->value.data<float>();
    const float* grad = parameters_[i]->grad.data<float>();
    float* m = m_[i].data<float>();
    float* v = v_[i].data<float>();
    const int64_t n = parameters_[i]->value.numel();
    for (int64_t k = 0; k < n; ++k) {
      float g = grad[k];
      if (options_.decoupled) {
        w[k] -= lr * wd * w[k];
      } else {
        g += wd * w[k];
      }
      m[k] = b1 * m[k] + (1.0f - b1) * g;
      v[k] = b2 * v[k] + (1.0f - b2) * g * g;
      const float m_hat = m[k] / correction1;
      const float v_hat = v[k] / correction2;
      w[k] -= lr * m_hat / (std::sqrt(v_hat) + options_.eps);
    }
  }
}

void Adam::save(std::map<std::string, Tensor>& tensors) const {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    tensors["adam.m." + parameters_[i]->name] = m_[i].clone();
    tensors["adam.v." + parameters_[i]->name] = v_[i].clone();
  }
  tensors["adam.steps"] = Tensor::from(std::vector<int64_t>{steps_});
}

void Adam::load(const std::map<std::string, Tensor>& tensors, const std::string& origin) {
  auto find = [&](const std::string& name) -> const Tensor& {
    auto it = tensors.find(name);
    TANGO_CHECK_INPUT(it != tensors.end(), "{} has no tensor '{}'", origin, name);
    return it->second;
  };
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& m = find("adam.m." + parameters_[i]->name);
    const Tensor& v = find("adam.v." + parameters_[i]->name);
    TANGO_CHECK_INPUT(m.numel() == m_[i].numel() && v.numel() == v_[i].numel(),
                      "{}: optimizer state of {} has the wrong size", origin, parameters_[i]->name);
    m_[i].copy_from(m);
    v_[i].copy_from(v);
  }
  steps_ = find("adam.steps").to_vector<int64_t>().at(0);
}

}  // namespace tango::trainer
