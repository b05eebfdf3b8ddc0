#pragma once
// How long to wait before trying again: exponential backoff from `base`,
// doubling after each failed attempt up to `cap`, with a choice of jitter so
// that many callers failing together do not come back in lockstep.
//   kNone          exactly the step (event redelivery: the wait is a queue's TTL)
//   kFull          uniform in [0, step] (the card provider's retries)
//   kProportional  uniform in [step/2, step*3/2) (SQL serialization retries)

#include <chrono>
#include <cstdint>
#include <functional>

namespace emporium::resilience {

/// Returns a uniformly distributed integer in [0, max]. Injected so tests
/// can pin the jitter; the default draws from a thread-local generator.
using UniformRandom = std::function<std::int64_t(std::int64_t max)>;

/// The default UniformRandom (thread-safe: one generator per thread).
std::int64_t randomUpTo(std::int64_t max);

enum class Jitter : std::uint8_t { kNone, kFull, kProportional };

struct BackoffOptions {
  std::chrono::milliseconds base{50};
  /// The step never grows past the cap (the cap wins over the base too).
  std::chrono::milliseconds cap{1000};
  Jitter jitter = Jitter::kFull;
};

class Backoff {
 public:
  explicit Backoff(BackoffOptions options, UniformRandom random = randomUpTo);

  /// The step after failed attempt `attempt` (1-based): min(cap, base * 2^(attempt-1)).
  std::chrono::milliseconds ceilingAfter(int attempt) const;
  /// The wait after failed attempt `attempt`: the step, jittered.
  std::chrono::milliseconds delayAfter(int attempt) const;
  /// The longest `attempts` tries can take when each may run for per_attempt:
  /// every attempt times out and every wait in between is the longest its jitter allows.
  std::chrono::milliseconds worstCase(std::chrono::milliseconds per_attempt, int attempts) const;

 private:
  std::chrono::milliseconds longestDelayAfter(int attempt) const;

  BackoffOptions options_;
  UniformRandom random_;
};

}  // namespace emporium::resilience
