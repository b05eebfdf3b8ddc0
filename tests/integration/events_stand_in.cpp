// TEMPORARY: the parts of event.cpp / outbox.cpp / event_metrics.cpp that the
// RabbitMQ tests call, until the real ones land on main. Linked only while
// src/core/events/event.cpp does not exist. Delete after the merge.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <ctime>

#include "core/events/consumer.hpp"
#include "core/events/event_metrics.hpp"
#include "core/events/outbox.hpp"
#include "core/util/ids.hpp"

namespace emporium::events {

std::string toJson(const Event& e) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("id"); w.String(e.id.c_str());
  w.Key("type"); w.String(e.type.c_str());
  w.Key("version"); w.Int(e.version);
  w.Key("occurred_at"); w.String(e.occurred_at.c_str());
  w.Key("source"); w.String(e.source.c_str());
  w.Key("payload"); w.RawValue(e.payload.data(), e.payload.size(), rapidjson::kObjectType);
  w.EndObject();
  return buf.GetString();
}

std::optional<Event> parseEvent(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  for (const char* k : {"id", "type", "occurred_at", "source"}) {
    if (!d.HasMember(k) || !d[k].IsString()) return std::nullopt;
  }
  if (!d.HasMember("version") || !d["version"].IsInt()) return std::nullopt;
  if (!d.HasMember("payload") || !d["payload"].IsObject()) return std::nullopt;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d["payload"].Accept(w);
  return Event{d["id"].GetString(), d["type"].GetString(), d["version"].GetInt(),
               d["occurred_at"].GetString(), d["source"].GetString(), buf.GetString()};
}

std::chrono::milliseconds RetryPolicy::delayAfter(int n) const {
  auto d = base_delay;
  for (int i = 1; i < n && d < max_delay; ++i) d *= 2;
  return std::min(d, max_delay);
}

void Doorbell::ring() {
  {
    const std::lock_guard lock(mutex_);
    ++rings_;
  }
  rung_cv_.notify_all();
}

bool Doorbell::waitFor(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool rung = rung_cv_.wait_for(lock, timeout, [&] { return rings_ != seen_; });
  seen_ = rings_;
  return rung;
}

Event Outbox::add(sql::Session& s, std::string_view type, std::string payload, int version) const {
  Event e{util::newId("evt"), std::string(type), version, util::nowRfc3339(), source_,
          std::move(payload)};
  s.execute({"stand_in_add",
             "INSERT INTO outbox (event_id, type, version, occurred_at, payload) "
             "VALUES ($1, $2, $3, $4, $5)"},
            {e.id, e.type, std::int64_t{e.version}, e.occurred_at, e.payload});
  return e;
}

std::vector<Event> Outbox::due(std::size_t limit) const {
  return db_.read([&](sql::Session& s) {
    std::vector<Event> out;
    for (const auto& r : s.execute({"stand_in_due",
                                    "SELECT event_id, type, version, occurred_at, payload FROM "
                                    "outbox WHERE published_at IS NULL AND dead_at IS NULL "
                                    "ORDER BY seq LIMIT $1"},
                                   {static_cast<std::int64_t>(limit)})) {
      out.push_back(Event{r.getText(0), r.getText(1), static_cast<int>(r.getInt64(2)),
                          r.getText(3), source_, r.getText(4)});
    }
    return out;
  });
}

void Outbox::markPublished(const std::vector<std::string>& ids) const {
  db_.write([&](sql::Session& s) {
    const std::string now = util::nowRfc3339();
    for (const auto& id : ids) {
      s.execute({"stand_in_pub", "UPDATE outbox SET published_at = $1 WHERE event_id = $2"},
                {now, id});
    }
  });
}

std::int64_t Outbox::pendingCount() const {
  return db_.read([](sql::Session& s) {
    return s.execute({"stand_in_pending",
                      "SELECT count(*) FROM outbox WHERE published_at IS NULL AND dead_at IS NULL"})[0]
        .getInt64(0);
  });
}

void EventMetrics::published(std::uint64_t n) noexcept { published_ += n; }
EventMetrics::PerConsumer& EventMetrics::slot(std::string_view c) {
  auto it = consumers_.find(c);
  if (it == consumers_.end()) {
    it = consumers_.emplace(std::string(c), std::make_unique<PerConsumer>()).first;
  }
  return *it->second;
}
void EventMetrics::handled(std::string_view c, double lag) {
  const std::lock_guard lock(mutex_);
  auto& s = slot(c);
  ++s.handled;
  s.lag.observe(lag);
}
void EventMetrics::failed(std::string_view c) {
  const std::lock_guard lock(mutex_);
  ++slot(c).failed;
}
void EventMetrics::deadLettered(std::string_view c) {
  const std::lock_guard lock(mutex_);
  ++slot(c).dead;
}
double secondsSince(std::string_view) { return 0; }

}  // namespace emporium::events
