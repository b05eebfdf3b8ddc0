#include "core/events/event_metrics.hpp"

#include <chrono>
#include <ctime>
#include <string>

#include <fmt/format.h>

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
  // "2026-11-26T03:01:02.123456Z": fixed width, as util::formatRfc3339 writes.
  if (rfc3339.size() < 20) return 0;
  std::tm tm{};
  const std::string text(rfc3339);
  if (sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double micros = 0;
  if (text.size() > 20 && text[19] == '.') {
    const std::size_t end = text.find('Z', 20);
    const std::string fraction = text.substr(20, end == std::string::npos ? 0 : end - 20);
    if (!fraction.empty()) micros = std::stod("0." + fraction) * 1e6;
  }
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm)) +
                  std::chrono::microseconds(static_cast<std::int64_t>(micros));
  return std::chrono::duration<double>(std::chrono::system_clock::now() - at).count();
}

}  // namespace emporium::events
