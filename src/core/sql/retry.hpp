#pragma once
// How write() retries a transaction that failed with kSerializationFailure.

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace emporium::sql {

/// Tries in all, the first included.
inline constexpr int kMaxWriteAttempts = 5;

/// Sleeps ~2^attempt ms, jittered so that transactions that just conflicted
/// do not collide again in lockstep. Retries are rare: seeding per call is fine.
inline void backOffBeforeAttempt(int attempt) {
  std::minstd_rand random(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  const double base_ms = static_cast<double>(1 << std::clamp(attempt, 1, 6));
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(base_ms * jitter(random)));
}

}  // namespace emporium::sql
