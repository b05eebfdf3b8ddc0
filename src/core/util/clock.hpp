#pragma once
// Wall-clock time as a dependency: services that decide by age (sweepers,
// expiry) take a Clock so tests move time forward instead of sleeping.

#include <chrono>
#include <functional>

namespace emporium::util {

using Clock = std::function<std::chrono::system_clock::time_point()>;

/// The production clock.
inline std::chrono::system_clock::time_point systemNow() {
  return std::chrono::system_clock::now();
}

/// `clock`, or the system clock when it is empty.
inline Clock orSystemClock(Clock clock) {
  if (clock) return clock;
  return &systemNow;
}

}  // namespace emporium::util
