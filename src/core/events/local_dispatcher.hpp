#pragma once
// The embedded delivery path: reads every service's outbox and hands each
// event to the in-process consumers subscribed to its type. An event is
// marked published only when every such consumer has handled it (or given up
// on it), so events committed before a crash are delivered after the restart;
// consumers' processed-event records absorb the redelivery.
//
// Each consumer has its own thread and queue, so a slow one (an SMTP server
// taking seconds a message) delays nobody else. A failed event is retried on
// that consumer's thread with RetryPolicy's backoff, and after max_attempts
// the outbox row is parked as dead: `emporium dlq list` shows it and
// `emporium dlq replay` revives it.

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "core/events/consumer.hpp"
#include "core/events/event_metrics.hpp"
#include "core/events/outbox.hpp"
#include "core/events/published_purge.hpp"
#include "core/log/logger.hpp"

namespace emporium::events {

struct DispatcherOptions {
  /// How often the outboxes are read when nothing rings the doorbell: a
  /// safety net for commits that did not ring (another process's, say).
  std::chrono::milliseconds poll_interval{1000};
  std::size_t batch = 200;
  /// Events handed out and not yet finished, at most; reading pauses above it.
  std::size_t max_in_flight = 2000;
  RetryPolicy retry;
  /// Published rows older than this are deleted (checked about hourly).
  std::chrono::hours retention{24 * 7};
};

class LocalDispatcher final : public Worker {
 public:
  LocalDispatcher(std::vector<const Outbox*> outboxes, std::vector<Consumer> consumers,
                  Doorbell& doorbell, DispatcherOptions options, const log::Logger& logger,
                  EventMetrics& metrics);
  ~LocalDispatcher() override;
  LocalDispatcher(const LocalDispatcher&) = delete;
  LocalDispatcher& operator=(const LocalDispatcher&) = delete;

  void start() override;
  /// Stops reading and lets each consumer finish the event it is handling;
  /// what is queued stays unpublished in the outbox for the next start.
  void stop() override;

  /// Blocks until every outbox has nothing pending or `timeout` passed;
  /// true when drained. For tests and `emporium` commands that must not
  /// exit with events in flight.
  bool drain(std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace emporium::events
