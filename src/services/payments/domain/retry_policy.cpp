#include "services/payments/domain/retry_policy.hpp"

#include <algorithm>
#include <random>

namespace emporium::payments {

std::int64_t randomUpTo(std::int64_t max) {
  if (max <= 0) return 0;
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, max)(generator);
}

RetryPolicy::RetryPolicy(RetryOptions options, UniformRandom random)
    : options_(options), random_(std::move(random)) {
  options_.max_attempts = std::max(options_.max_attempts, 1);
  options_.base = std::max(options_.base, std::chrono::milliseconds(0));
  options_.cap = std::max(options_.cap, options_.base);
}

std::chrono::milliseconds RetryPolicy::ceilingAfter(int attempt) const {
  // Doubling stops at the cap, so the shift never overflows however many attempts.
  std::int64_t ceiling = options_.base.count();
  for (int i = 1; i < attempt && ceiling < options_.cap.count(); ++i) ceiling *= 2;
  return std::min(std::chrono::milliseconds(ceiling), options_.cap);
}

std::chrono::milliseconds RetryPolicy::delayAfter(int attempt) const {
  const std::int64_t ceiling = ceilingAfter(attempt).count();
  return std::chrono::milliseconds(std::clamp<std::int64_t>(random_(ceiling), 0, ceiling));
}

std::chrono::milliseconds RetryPolicy::worstCase(std::chrono::milliseconds per_attempt) const {
  std::chrono::milliseconds total = per_attempt * options_.max_attempts;
  for (int attempt = 1; attempt < options_.max_attempts; ++attempt) total += ceilingAfter(attempt);
  return total;
}

}  // namespace emporium::payments
