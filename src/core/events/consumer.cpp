#include "core/events/consumer.hpp"

#include <algorithm>
#include <cstdint>

namespace emporium::events {

std::chrono::milliseconds RetryPolicy::delayAfter(int failed_attempt) const {
  // Doubling from base_delay; the shift is capped so it cannot overflow.
  const int exponent = std::clamp(failed_attempt - 1, 0, 30);
  const auto delay = base_delay * (std::int64_t{1} << exponent);
  return std::min(delay, max_delay);
}

}  // namespace emporium::events
