#pragma once
// What a worker subscribes with. A consumer is a named handler for a set of
// event types; its name is its queue ("emporium.<name>" on RabbitMQ) and its
// key in processed_events. Delivery is at least once and in no promised
// order, so handlers must be idempotent (see claimEvent / wasProcessed).

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/events/event.hpp"

namespace emporium::events {

/// Thrown by a handler for a failure no retry can cure (a recipient address
/// the mail server refuses for good, a message that cannot be written): the
/// event is dead-lettered at once, with what() as the reason, instead of
/// being retried max_attempts times first.
class PermanentFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Consumer {
  std::string name;                   // "notifications", "catalog.ratings"
  std::vector<std::string> patterns;  // topic patterns, e.g. {"order.*", "user.registered"}
  /// Handles one event; throws to have it retried (with backoff) and, after
  /// RetryPolicy::max_attempts failures, dead-lettered; throws
  /// PermanentFailure to have it dead-lettered now.
  std::function<void(const Event&)> handle;
};

/// How failures are retried: attempt n (1-based) that fails waits
/// base_delay * 2^(n-1), capped at max_delay, before attempt n+1; the event is
/// dead-lettered when attempt max_attempts fails.
struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_delay{60000};

  std::chrono::milliseconds delayAfter(int failed_attempt) const;
};

/// Something that runs delivery in the background: the in-process dispatcher,
/// the RabbitMQ relay, a RabbitMQ consumer. start() returns at once; stop()
/// returns when the thread has finished its current event. Destructors stop.
class Worker {
 public:
  virtual ~Worker() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
};

}  // namespace emporium::events
