#pragma once
// How many times a transient provider failure is retried and how long to wait
// in between: exponential backoff with full jitter (a random wait in
// [0, min(cap, base * 2^n)]), so that many callers failing together do not
// come back in lockstep and knock the provider over again.

#include <chrono>
#include <cstdint>
#include <functional>

namespace emporium::payments {

struct RetryOptions {
  int max_attempts = 4;  // tries in all, the first included
  std::chrono::milliseconds base{50};
  std::chrono::milliseconds cap{1000};
};

/// Returns a uniformly distributed integer in [0, max]. Injected so tests
/// can pin the jitter; the default draws from a thread-local generator.
using UniformRandom = std::function<std::int64_t(std::int64_t max)>;

/// The default UniformRandom (thread-safe: one generator per thread).
std::int64_t randomUpTo(std::int64_t max);

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options, UniformRandom random = randomUpTo);

  int maxAttempts() const { return options_.max_attempts; }
  /// True when another try may follow attempt `attempt` (1-based) that failed.
  bool mayRetryAfter(int attempt) const { return attempt < options_.max_attempts; }
  /// The upper bound of the wait after failed attempt `attempt` (1-based):
  /// min(cap, base * 2^(attempt-1)).
  std::chrono::milliseconds ceilingAfter(int attempt) const;
  /// The wait after failed attempt `attempt`: uniform in [0, ceilingAfter(attempt)].
  std::chrono::milliseconds delayAfter(int attempt) const;
  /// The longest a call can take under this policy when each attempt may run
  /// for per_attempt: every attempt times out and every wait is its ceiling.
  std::chrono::milliseconds worstCase(std::chrono::milliseconds per_attempt) const;

 private:
  RetryOptions options_;
  UniformRandom random_;
};

}  // namespace emporium::payments
