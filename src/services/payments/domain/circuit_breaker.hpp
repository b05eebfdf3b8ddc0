#pragma once
// A circuit breaker in front of the card provider. After `failure_threshold`
// consecutive transient failures it opens: calls are refused at once for
// `cooldown`, so a dead provider costs buyers no timeouts and gets no load.
// Then one probe call is let through (half-open): its success closes the
// breaker, its failure opens it for another cool-down. Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace emporium::payments {

struct BreakerOptions {
  int failure_threshold = 5;
  std::chrono::milliseconds cooldown{5000};
};

class CircuitBreaker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  enum class State : std::uint8_t { kClosed, kOpen, kHalfOpen };

  enum class Admission : std::uint8_t {
    kAllowed,   // closed: go ahead
    kProbe,     // half-open: this caller is the one probe
    kRejected,  // open, or another caller is probing: fail fast
  };

  /// What /metrics shows.
  struct Snapshot {
    State state = State::kClosed;
    int consecutive_failures = 0;
    std::int64_t times_opened = 0;
    std::int64_t calls_rejected = 0;
  };

  explicit CircuitBreaker(
      BreakerOptions options, Clock clock = [] { return std::chrono::steady_clock::now(); });

  /// Asks to make a call. A caller given kAllowed or kProbe must report the
  /// call's end with onSuccess() or onFailure().
  Admission admit();
  /// The provider answered (any answer that is not a transient failure).
  void onSuccess(Admission admission);
  /// A transient failure: timeout, connection error, 5xx, 429.
  void onFailure(Admission admission);
  Snapshot snapshot() const;

 private:
  void open();

  const BreakerOptions options_;
  const Clock clock_;
  mutable std::mutex mutex_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  bool probe_in_flight_ = false;
  std::chrono::steady_clock::time_point open_until_{};
  std::int64_t times_opened_ = 0;
  std::int64_t calls_rejected_ = 0;
};

/// "closed", "open", "half_open".
std::string_view breakerStateName(CircuitBreaker::State state);

}  // namespace emporium::payments
