#pragma once
// Delivery figures for /metrics, shared by the dispatcher, the relay and the
// consumers: events published, handled, retried and dead-lettered per
// consumer, and the lag from an event's commit to its handling.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/metrics/metrics.hpp"

namespace emporium::events {

class EventMetrics {
 public:
  /// Events handed to the transport (the in-process bus or RabbitMQ, confirmed).
  void published(std::uint64_t count) noexcept;
  /// One event handled by `consumer`; lag = now - the event's occurred_at.
  void handled(std::string_view consumer, double lag_seconds);
  void failed(std::string_view consumer);
  void deadLettered(std::string_view consumer);

  void collect(metrics::Exposition& out) const;

 private:
  struct PerConsumer {
    std::uint64_t handled = 0, failed = 0, dead = 0;
    metrics::Histogram lag;
  };
  PerConsumer& slot(std::string_view consumer);

  std::atomic<std::uint64_t> published_{0};
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<PerConsumer>, std::less<>> consumers_;
};

/// Seconds from an RFC 3339 time (util::nowRfc3339's form) to now; 0 when
/// the text does not parse.
double secondsSince(std::string_view rfc3339);

}  // namespace emporium::events
