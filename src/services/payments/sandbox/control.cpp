#include "services/payments/sandbox/control.hpp"

namespace emporium::payments::sandbox {

std::string_view failModeName(FailMode mode) {
  return mode == FailMode::kAfter ? "after" : "before";
}

Control::Control() : random_(std::random_device{}()) {}

ControlSettings Control::settings() const {
  const std::lock_guard lock(mutex_);
  return settings_;
}

void Control::set(const ControlSettings& settings) {
  const std::lock_guard lock(mutex_);
  settings_ = settings;
}

CallPlan Control::planCall() {
  const std::lock_guard lock(mutex_);
  CallPlan plan{settings_.latency, false, settings_.fail_mode};
  if (settings_.fail_next > 0) {
    --settings_.fail_next;
    plan.fail = true;
  } else if (settings_.fail_rate > 0) {
    plan.fail = std::uniform_real_distribution<double>(0.0, 1.0)(random_) < settings_.fail_rate;
  }
  return plan;
}

}  // namespace emporium::payments::sandbox
