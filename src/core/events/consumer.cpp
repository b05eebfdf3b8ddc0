#include "core/events/consumer.hpp"

#include "core/resilience/backoff.hpp"

namespace emporium::events {

std::chrono::milliseconds RetryPolicy::delayAfter(int failed_attempt) const {
  // No jitter: on RabbitMQ the wait is a retry queue's fixed message TTL.
  return resilience::Backoff({base_delay, max_delay, resilience::Jitter::kNone})
      .delayAfter(failed_attempt);
}

}  // namespace emporium::events
