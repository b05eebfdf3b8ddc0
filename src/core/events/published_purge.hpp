#pragma once
// Deletes outbox rows published longer ago than the retention. Whoever
// publishes the outboxes runs it (the in-process dispatcher, or the RabbitMQ
// relay), so published rows never pile up whichever transport is configured.
// They are kept that long for `emporium events replay`.

#include <chrono>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"

namespace emporium::events {

struct PurgeOptions {
  /// Published rows older than this are deleted.
  std::chrono::hours retention{24 * 7};
  /// How often at most: a purge scans the published rows' index.
  std::chrono::milliseconds interval{std::chrono::hours(1)};
};

class PublishedPurge {
 public:
  explicit PublishedPurge(PurgeOptions options) : options_(options) {}

  /// Purges every outbox when the interval has passed since the last time
  /// (the first call always purges). A database failure is logged and left
  /// for the next time: it must not stop the caller's delivery loop.
  void runIfDue(const std::vector<const Outbox*>& outboxes, const log::Logger& logger);

 private:
  PurgeOptions options_;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace emporium::events
