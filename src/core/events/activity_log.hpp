#pragma once
// Activity and analytics events (a product viewed, a search, an add to cart,
// an order placed): high volume, not part of any transaction, kept for a
// retention period and replayable from a point in time (e.g. to rebuild
// recommendations). A RabbitMQ stream queue holds them when RabbitMQ is
// configured (the seed's Kafka role); a table otherwise.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/events/event.hpp"

namespace emporium::events {

class ActivityLog {
 public:
  virtual ~ActivityLog() = default;
  /// Records an activity event without blocking the request: it is queued in
  /// memory and written in batches by a background thread. When the queue is
  /// full the event is dropped and counted (activity is analytics, never
  /// worth slowing a request for).
  virtual void record(std::string_view type, std::string payload) = 0;
  /// Writes what is queued; returns when it is stored. For shutdown and tests.
  virtual void flush() = 0;
  /// Feeds every stored event that occurred at or after `from`, oldest first,
  /// to `sink`; returns how many. Blocks; for `emporium events replay`.
  virtual std::size_t replay(std::chrono::system_clock::time_point from,
                             const std::function<void(const Event&)>& sink) = 0;
};

}  // namespace emporium::events
