#include "services/payments/domain/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

namespace emporium::payments {

CircuitBreaker::CircuitBreaker(BreakerOptions options, Clock clock)
    : options_{std::max(options.failure_threshold, 1), options.cooldown},
      clock_(std::move(clock)) {}

CircuitBreaker::Admission CircuitBreaker::admit() {
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
      // One probe at a time: a provider that is just coming back should not
      // take the whole backlog at once.
      if (probe_in_flight_) break;
      probe_in_flight_ = true;
      return Admission::kProbe;
  }
  ++calls_rejected_;
  return Admission::kRejected;
}

void CircuitBreaker::onSuccess(Admission admission) {
  const std::lock_guard lock(mutex_);
  if (admission == Admission::kRejected) return;
  if (admission == Admission::kProbe) probe_in_flight_ = false;
  consecutive_failures_ = 0;
  state_ = State::kClosed;
}

void CircuitBreaker::onFailure(Admission admission) {
  const std::lock_guard lock(mutex_);
  if (admission == Admission::kRejected) return;
  ++consecutive_failures_;
  if (admission == Admission::kProbe) {
    probe_in_flight_ = false;
    open();
    return;
  }
  // Calls admitted before the breaker opened may still fail afterwards: they
  // do not extend the cool-down.
  if (state_ == State::kClosed && consecutive_failures_ >= options_.failure_threshold) open();
}

void CircuitBreaker::open() {
  state_ = State::kOpen;
  open_until_ = clock_() + options_.cooldown;
  ++times_opened_;
}

CircuitBreaker::Snapshot CircuitBreaker::snapshot() const {
  const std::lock_guard lock(mutex_);
  return {state_, consecutive_failures_, times_opened_, calls_rejected_};
}

std::string_view breakerStateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

}  // namespace emporium::payments
