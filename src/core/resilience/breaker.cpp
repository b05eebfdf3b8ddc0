#include "core/resilience/breaker.hpp"

#include <algorithm>
#include <utility>

namespace emporium::resilience {
namespace {

BreakerOptions normalised(BreakerOptions options) {
  options.failure_threshold = std::max(options.failure_threshold, 1);
  options.cooldown = std::max(options.cooldown, std::chrono::milliseconds(0));
  options.max_cooldown = std::max(options.max_cooldown, options.cooldown);
  return options;
}

}  // namespace

Breaker::Breaker(BreakerOptions options, Clock clock)
    : options_(normalised(options)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

Breaker::Admission Breaker::admit() {
  if (closed_.load(std::memory_order_acquire)) return Admission::kAllowed;
  const std::lock_guard lock(mutex_);
  switch (state_) {
    case State::kClosed:
      return Admission::kAllowed;
    case State::kOpen:
      if (clock_() < open_until_) break;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      return Admission::kProbe;
    case State::kHalfOpen:
      // One probe at a time: a backend that is just coming back should not
      // take the whole backlog at once.
      if (probe_in_flight_) break;
      probe_in_flight_ = true;
      return Admission::kProbe;
  }
  ++calls_rejected_;
  return Admission::kRejected;
}

void Breaker::onSuccess(Admission admission) {
  if (admission == Admission::kRejected) return;
  const std::lock_guard lock(mutex_);
  if (admission == Admission::kAllowed) {
    if (state_ == State::kClosed) consecutive_failures_ = 0;
    return;
  }
  probe_in_flight_ = false;
  consecutive_failures_ = 0;
  cooldown_ = std::chrono::milliseconds(0);
  state_ = State::kClosed;
  closed_.store(true, std::memory_order_release);
}

bool Breaker::onFailure(Admission admission) {
  if (admission == Admission::kRejected) return false;
  const std::lock_guard lock(mutex_);
  ++consecutive_failures_;
  if (admission == Admission::kProbe) {
    probe_in_flight_ = false;
    openLocked(cooldown_.count() == 0 ? options_.cooldown
                                      : std::min(cooldown_ * 2, options_.max_cooldown));
    return true;
  }
  // Calls admitted before the breaker opened may still fail afterwards: they
  // do not extend the cool-down.
  if (state_ != State::kClosed || consecutive_failures_ < options_.failure_threshold) return false;
  openLocked(options_.cooldown);
  return true;
}

void Breaker::onBusy(Admission admission) {
  if (admission != Admission::kProbe) return;
  // Not the backend's fault: the next caller probes without waiting out another cool-down.
  const std::lock_guard lock(mutex_);
  probe_in_flight_ = false;
}

void Breaker::markUp() {
  const std::lock_guard lock(mutex_);
  consecutive_failures_ = 0;
  cooldown_ = std::chrono::milliseconds(0);
  open_until_ = {};
  state_ = State::kClosed;
  closed_.store(true, std::memory_order_release);
}

void Breaker::openLocked(std::chrono::milliseconds cooldown) {
  cooldown_ = cooldown;
  state_ = State::kOpen;
  closed_.store(false, std::memory_order_release);
  open_until_ = clock_() + cooldown;
  ++times_opened_;
}

Breaker::Snapshot Breaker::snapshot() const {
  const std::lock_guard lock(mutex_);
  return {state_, consecutive_failures_, times_opened_, calls_rejected_};
}

std::string_view Breaker::stateName(State state) {
  switch (state) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    case State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

}  // namespace emporium::resilience
