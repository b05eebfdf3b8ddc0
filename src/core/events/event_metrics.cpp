#include "core/events/event_metrics.hpp"

#include <chrono>
#include <string>

#include "core/util/ids.hpp"

namespace emporium::events {

void EventMetrics::published(std::uint64_t count) noexcept {
  published_.fetch_add(count, std::memory_order_relaxed);
}

EventMetrics::PerConsumer& EventMetrics::slot(std::string_view consumer) {
  // Callers hold mutex_.
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) {
    it = consumers_.emplace(std::string(consumer), std::make_unique<PerConsumer>()).first;
  }
  return *it->second;
}

void EventMetrics::handled(std::string_view consumer, double lag_seconds) {
  const std::lock_guard lock(mutex_);
  PerConsumer& s = slot(consumer);
  ++s.handled;
  s.lag.observe(lag_seconds < 0 ? 0 : lag_seconds);
}

void EventMetrics::failed(std::string_view consumer) {
  const std::lock_guard lock(mutex_);
  ++slot(consumer).failed;
}

void EventMetrics::deadLettered(std::string_view consumer) {
  const std::lock_guard lock(mutex_);
  ++slot(consumer).dead;
}

void EventMetrics::collect(metrics::Exposition& out) const {
  out.counter("emporium_events_published_total", "Outbox events handed to the transport.",
              published_.load(std::memory_order_relaxed));
  const std::lock_guard lock(mutex_);
  // Declared before the first consumer ran too: the families do not depend on the traffic.
  const auto counter = [&](std::string_view name, std::string_view help,
                           std::uint64_t PerConsumer::*field) {
    out.declare(name, help, metrics::MetricType::kCounter);
    for (const auto& [consumer, s] : consumers_) {
      out.counter(name, help, (*s).*field, {{"consumer", consumer}});
    }
  };
  counter("emporium_events_handled_total", "Events a consumer handled.", &PerConsumer::handled);
  counter("emporium_events_failed_total", "Failed attempts to handle an event.",
          &PerConsumer::failed);
  counter("emporium_events_dead_lettered_total", "Events moved to the dead-letter queue.",
          &PerConsumer::dead);
  constexpr std::string_view kLag = "emporium_event_lag_seconds";
  constexpr std::string_view kLagHelp = "From an event's commit to its handling.";
  out.declare(kLag, kLagHelp, metrics::MetricType::kHistogram);
  for (const auto& [consumer, s] : consumers_) {
    out.histogram(kLag, kLagHelp, s->lag, {{"consumer", consumer}});
  }
}

double secondsSince(std::string_view rfc3339) {
  const auto at = util::parseRfc3339(rfc3339);
  if (!at) return 0;
  return std::chrono::duration<double>(std::chrono::system_clock::now() - *at).count();
}

}  // namespace emporium::events
