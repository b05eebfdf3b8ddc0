#pragma once
// The dead-letter queues, for `emporium dlq list|replay`: what failed for
// good, and putting it back once the cause is fixed.

#include <cstddef>
#include <string>
#include <vector>

#include "core/events/amqp_connection.hpp"
#include "core/events/event.hpp"

namespace emporium::events {

struct DeadLetter {
  Event event;  // empty when the body was not an event (see raw_body)
  std::string consumer;
  int attempts = 0;
  std::string last_error;
  std::string dead_at;
  std::string raw_body;
};

/// The messages in `consumer`'s dead-letter queue, oldest first, at most
/// `limit`. Leaves them there (reads without ack, then lets them go back).
std::vector<DeadLetter> listDeadLetters(const AmqpOptions& options, const std::string& consumer,
                                        std::size_t limit = 1000);

/// Moves the dead letter with `event_id` (empty: all of them) back to the
/// consumer's main queue, as a first attempt. Returns how many moved.
std::size_t replayDeadLetters(const AmqpOptions& options, const std::string& consumer,
                              const std::string& event_id);

}  // namespace emporium::events
