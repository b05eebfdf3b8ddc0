#include "core/events/event_metrics.hpp"

#include <chrono>
#include <string>

#include <fmt/format.h>

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

void EventMetrics::duplicate(std::string_view consumer) {
  const std::lock_guard lock(mutex_);
  ++slot(consumer).duplicates;
}

void EventMetrics::render(std::string& out) const {
  out += "# HELP emporium_events_published_total Outbox events handed to the transport.\n";
  out += "# TYPE emporium_events_published_total counter\n";
  out += fmt::format("emporium_events_published_total {}\n", published_.load());
  const std::lock_guard lock(mutex_);
  const auto counter = [&](std::string_view name, std::string_view help, auto field) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
    for (const auto& [consumer, s] : consumers_) {
      out += fmt::format("{}{{consumer=\"{}\"}} {}\n", name, metrics::escapeLabel(consumer),
                         (*s).*field);
    }
  };
  counter("emporium_events_handled_total", "Events a consumer handled.", &PerConsumer::handled);
  counter("emporium_events_failed_total", "Failed attempts to handle an event.",
          &PerConsumer::failed);
  counter("emporium_events_dead_lettered_total", "Events moved to the dead-letter queue.",
          &PerConsumer::dead);
  counter("emporium_events_duplicates_total", "Redelivered events a consumer had processed.",
          &PerConsumer::duplicates);
  out += "# HELP emporium_event_lag_seconds From an event's commit to its handling.\n";
  out += "# TYPE emporium_event_lag_seconds histogram\n";
  for (const auto& [consumer, s] : consumers_) {
    s->lag.render(out, "emporium_event_lag_seconds",
                  fmt::format("consumer=\"{}\"", metrics::escapeLabel(consumer)));
  }
}

double secondsSince(std::string_view rfc3339) {
  const auto at = util::parseRfc3339(rfc3339);
  if (!at) return 0;
  return std::chrono::duration<double>(std::chrono::system_clock::now() - *at).count();
}

}  // namespace emporium::events
