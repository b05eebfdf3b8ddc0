#include "core/redis/connection_pool.hpp"

#include <hiredis/hiredis.h>

namespace emporium::redis {

bool contextBroken(const redisContext& context) { return context.err != 0; }

Breaker::Admission Breaker::admit() {
  if (healthy_.load(std::memory_order_acquire)) return Admission::kClosed;
  const std::lock_guard lock(mutex_);
  if (healthy_.load(std::memory_order_acquire)) return Admission::kClosed;
  if (probing_ || std::chrono::steady_clock::now() < retry_at_) return Admission::kSkip;
  probing_ = true;
  return Admission::kProbe;
}

void Breaker::onSuccess(Admission admission) {
  if (admission != Admission::kProbe) return;
  const std::lock_guard lock(mutex_);
  probing_ = false;
  backoff_ = std::chrono::milliseconds(0);
  healthy_.store(true, std::memory_order_release);
}

bool Breaker::onFailure(Admission admission) {
  const std::lock_guard lock(mutex_);
  if (admission == Admission::kProbe) {
    probing_ = false;
    backoff_ = backoff_.count() == 0 ? initial_backoff_ : std::min(backoff_ * 2, max_backoff_);
  } else if (healthy_.load(std::memory_order_acquire)) {
    backoff_ = initial_backoff_;
  } else {
    return false;  // a concurrent caller has already opened the breaker
  }
  healthy_.store(false, std::memory_order_release);
  retry_at_ = std::chrono::steady_clock::now() + backoff_;
  return true;
}

void Breaker::onBusy(Admission admission) {
  if (admission != Admission::kProbe) return;
  // Not the backend's fault: let the next caller probe without waiting out another backoff.
  const std::lock_guard lock(mutex_);
  probing_ = false;
}

void Breaker::markUp() {
  const std::lock_guard lock(mutex_);
  backoff_ = std::chrono::milliseconds(0);
  retry_at_ = {};
  healthy_.store(true, std::memory_order_release);
}

}  // namespace emporium::redis
