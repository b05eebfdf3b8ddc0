#pragma once
// A circuit breaker in front of a backend that can fail for a while (the card
// provider, Redis). After `failure_threshold` consecutive failures it opens:
// calls are refused at once for a cool-down, so a dead backend costs callers
// no timeouts and gets no load. Then one probe call is let through
// (half-open): its success closes the breaker, its failure opens it again for
// a cool-down twice as long as the last one, up to `max_cooldown`. Thread-safe;
// admit() on a closed breaker takes no lock.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace emporium::resilience {

struct BreakerOptions {
  /// Consecutive failures that open a closed breaker (at least 1).
  int failure_threshold = 1;
  /// How long the breaker stays open after it opens from closed.
  std::chrono::milliseconds cooldown{1000};
  /// The longest cool-down after failed probes. At or below `cooldown` (0 too):
  /// the cool-down never grows.
  std::chrono::milliseconds max_cooldown{0};
};

class Breaker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  enum class State : std::uint8_t { kClosed, kOpen, kHalfOpen };

  enum class Admission : std::uint8_t {
    kAllowed,   // closed: go ahead
    kProbe,     // half-open: this caller is the one probe
    kRejected,  // open, or another caller is probing: fail fast (or do without the backend)
  };

  /// What /metrics and /readyz show.
  struct Snapshot {
    State state = State::kClosed;
    int consecutive_failures = 0;
    std::int64_t times_opened = 0;
    std::int64_t calls_rejected = 0;
  };

  explicit Breaker(
      BreakerOptions options, Clock clock = [] { return std::chrono::steady_clock::now(); });

  /// Asks to make a call. A caller given kAllowed or kProbe reports the call's
  /// end with onSuccess(), onFailure() or onBusy().
  Admission admit();
  /// The backend answered (any answer that is not a failure of the backend).
  /// Only a probe closes an open breaker: a call admitted before it opened
  /// that succeeds late says nothing about the backend now.
  void onSuccess(Admission admission);
  /// A failure of the backend (timeout, connection error, 5xx). True when this
  /// call opened (or reopened) the breaker; false when it was open already, so
  /// that one caller, not all of them, reacts to the opening.
  bool onFailure(Admission admission);
  /// The backend was not tried (e.g. no pooled connection was free): a probe is
  /// handed on to the next caller instead of counting as a failure.
  void onBusy(Admission admission);
  /// Closes the breaker now: the backend is known to answer again.
  void markUp();

  /// True while closed.
  bool healthy() const { return closed_.load(std::memory_order_acquire); }
  Snapshot snapshot() const;

  /// "closed", "open", "half_open".
  static std::string_view stateName(State state);

 private:
  void openLocked(std::chrono::milliseconds cooldown);

  const BreakerOptions options_;
  const Clock clock_;
  // Mirrors state_ == kClosed, for admit()'s lock-free path.
  std::atomic<bool> closed_{true};
  mutable std::mutex mutex_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  bool probe_in_flight_ = false;
  // The cool-down of the last opening; 0 once closed.
  std::chrono::milliseconds cooldown_{0};
  std::chrono::steady_clock::time_point open_until_{};
  std::int64_t times_opened_ = 0;
  std::int64_t calls_rejected_ = 0;
};

}  // namespace emporium::resilience
