#pragma once
// How write() retries a transaction that failed with kSerializationFailure.

#include <chrono>
#include <thread>

#include "core/resilience/backoff.hpp"

namespace emporium::sql {

/// Tries in all, the first included.
inline constexpr int kMaxWriteAttempts = 5;

/// Sleeps ~2^attempt ms (4 ms before the second try, up to 64 ms), jittered
/// ×[0.5, 1.5) so that transactions that just conflicted do not collide again
/// in lockstep.
inline void backOffBeforeAttempt(int attempt) {
  const resilience::Backoff backoff({std::chrono::milliseconds(4), std::chrono::milliseconds(64),
                                     resilience::Jitter::kProportional});
  std::this_thread::sleep_for(backoff.delayAfter(attempt - 1));
}

}  // namespace emporium::sql
