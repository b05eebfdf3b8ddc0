#include "core/resilience/backoff.hpp"

#include <algorithm>
#include <random>
#include <utility>

namespace emporium::resilience {

std::int64_t randomUpTo(std::int64_t max) {
  if (max <= 0) return 0;
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, max)(generator);
}

Backoff::Backoff(BackoffOptions options, UniformRandom random)
    : options_(options), random_(random ? std::move(random) : UniformRandom(randomUpTo)) {
  options_.base = std::max(options_.base, std::chrono::milliseconds(0));
  options_.cap = std::max(options_.cap, std::chrono::milliseconds(0));
}

std::chrono::milliseconds Backoff::ceilingAfter(int attempt) const {
  // Doubling stops at the cap, so it never overflows however many attempts.
  std::int64_t ceiling = options_.base.count();
  for (int i = 1; i < attempt && ceiling > 0 && ceiling < options_.cap.count(); ++i) ceiling *= 2;
  return std::min(std::chrono::milliseconds(ceiling), options_.cap);
}

std::chrono::milliseconds Backoff::delayAfter(int attempt) const {
  const std::int64_t step = ceilingAfter(attempt).count();
  switch (options_.jitter) {
    case Jitter::kNone:
      return std::chrono::milliseconds(step);
    case Jitter::kFull:
      // A random source out of range is clamped, never trusted.
      return std::chrono::milliseconds(std::clamp<std::int64_t>(random_(step), 0, step));
    case Jitter::kProportional: {
      const std::int64_t spread = std::max<std::int64_t>(step - 1, 0);
      return std::chrono::milliseconds(step / 2 +
                                       std::clamp<std::int64_t>(random_(spread), 0, spread));
    }
  }
  return std::chrono::milliseconds(step);
}

std::chrono::milliseconds Backoff::longestDelayAfter(int attempt) const {
  const std::chrono::milliseconds step = ceilingAfter(attempt);
  if (options_.jitter != Jitter::kProportional) return step;
  return step / 2 + std::max(step - std::chrono::milliseconds(1), std::chrono::milliseconds(0));
}

std::chrono::milliseconds Backoff::worstCase(std::chrono::milliseconds per_attempt,
                                             int attempts) const {
  attempts = std::max(attempts, 1);
  std::chrono::milliseconds total = per_attempt * attempts;
  for (int attempt = 1; attempt < attempts; ++attempt) total += longestDelayAfter(attempt);
  return total;
}

}  // namespace emporium::resilience
