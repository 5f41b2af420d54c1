#include "trainer/optimizer.h"

#include "kernels/adam.h"

namespace tango::trainer {

Adam::Adam(std::vector<Parameter*> parameters, AdamOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  for (Parameter* p : parameters_) {
    m_.push_back(Tensor::zeros(DType::kF32, p->value.shape(), p->value.device()));
    v_.push_back(Tensor::zeros(DType::kF32, p->value.shape(), p->value.device()));
  }
}

void Adam::step() {
  ++steps_;
  kernels::AdamOptions options;
  options.lr = options_.lr;
  options.beta1 = options_.beta1;
  options.beta2 = options_.beta2;
  options.eps = options_.eps;
  options.weight_decay = options_.weight_decay;
  options.decoupled_weight_decay = options_.decoupled;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    kernels::adam_step(parameters_[i]->value, parameters_[i]->grad, m_[i], v_[i], options, steps_);
  }
}

void Adam::save(std::map<std::string, Tensor>& tensors) const {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    tensors["adam.m." + parameters_[i]->name] = m_[i].to(Device::cpu());
    tensors["adam.v." + parameters_[i]->name] = v_[i].to(Device::cpu());
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
