#include "core/events/outbox.hpp"

#include "core/util/ids.hpp"

namespace emporium::events {

using sql::Query;

namespace {

// The outbox and processed_events tables are created by each service's own
// migrations (the same DDL in every service's storage/migrations), so they
// version with the rest of the service's schema.
constexpr Query kInsert{"outbox.insert",
                        "INSERT INTO outbox (event_id, type, version, occurred_at, payload) "
                        "VALUES ($1, $2, $3, $4, $5)"};
constexpr Query kDue{"outbox.due",
                     "SELECT event_id, type, version, occurred_at, payload FROM outbox "
                     "WHERE published_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1 "
                     "ORDER BY seq LIMIT $2"};
constexpr Query kPublished{"outbox.published",
                           "UPDATE outbox SET published_at = $1 WHERE event_id = $2 "
                           "AND published_at IS NULL"};
constexpr Query kFailed{"outbox.failed",
                        "UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
                        "next_attempt_at = $3 WHERE event_id = $1"};
constexpr Query kDead{"outbox.dead",
                      "UPDATE outbox SET attempts = $4, last_error = $2, dead_at = $3 "
                      "WHERE event_id = $1"};
constexpr Query kAttempts{"outbox.attempts", "SELECT attempts FROM outbox WHERE event_id = $1"};
constexpr Query kListDead{"outbox.list_dead",
                          "SELECT event_id, type, version, occurred_at, payload, attempts, "
                          "last_error, dead_at FROM outbox WHERE dead_at IS NOT NULL "
                          "ORDER BY seq LIMIT $1"};
constexpr Query kReviveOne{"outbox.revive_one",
                           "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = 0, "
                           "last_error = NULL WHERE dead_at IS NOT NULL AND event_id = $1"};
constexpr Query kReviveAll{"outbox.revive_all",
                           "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = 0, "
                           "last_error = NULL WHERE dead_at IS NOT NULL"};
constexpr Query kPending{
    "outbox.pending", "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL AND dead_at IS NULL"};
constexpr Query kPurgeOutbox{
    "outbox.purge", "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1"};
constexpr Query kSince{"outbox.since",
                       "SELECT event_id, type, version, occurred_at, payload, seq FROM outbox "
                       "WHERE occurred_at >= $1 AND seq > $2 ORDER BY seq LIMIT $3"};
constexpr Query kClaim{"processed_events.claim",
                       "INSERT INTO processed_events (consumer, event_id, processed_at) "
                       "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"};
constexpr Query kForget{"processed_events.forget",
                        "DELETE FROM processed_events WHERE consumer = $1 AND event_id = $2"};
constexpr Query kProcessed{"processed_events.find",
                           "SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2"};

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Event eventFromRow(const sql::Row& row, const std::string& source) {
  Event event;
  event.id = row.getText(0);
  event.type = row.getText(1);
  event.version = static_cast<int>(row.getInt64(2));
  event.occurred_at = row.getText(3);
  event.payload = row.getText(4);
  event.source = source;
  return event;
}

}  // namespace

void Doorbell::ring() {
  {
    const std::lock_guard lock(mutex_);
    ++rings_;
  }
  rung_cv_.notify_all();
}

bool Doorbell::waitFor(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool rung = rung_cv_.wait_for(lock, timeout, [this] { return rings_ != seen_; });
  seen_ = rings_;
  return rung;
}

Event Outbox::add(sql::Session& session, std::string_view type, std::string payload,
                  int version) const {
  Event event;
  event.id = util::newId("evt");
  event.type = std::string(type);
  event.version = version;
  event.occurred_at = util::nowRfc3339();
  event.source = source_;
  event.payload = std::move(payload);
  session.execute(kInsert, {event.id, event.type, static_cast<std::int64_t>(version),
                            event.occurred_at, event.payload});
  return event;
}

std::vector<Event> Outbox::due(std::size_t limit) const {
  return db_.read([&](sql::Session& s) {
    std::vector<Event> events;
    for (const auto& row : s.execute(kDue, {nowMillis(), static_cast<std::int64_t>(limit)})) {
      events.push_back(eventFromRow(row, source_));
    }
    return events;
  });
}

void Outbox::markPublished(const std::vector<std::string>& event_ids) const {
  if (event_ids.empty()) return;
  const std::string now = util::nowRfc3339();
  db_.write([&](sql::Session& s) {
    for (const auto& id : event_ids) s.execute(kPublished, {now, id});
  });
}

void Outbox::markFailed(const std::string& event_id, std::string_view error,
                        std::chrono::milliseconds retry_in) const {
  db_.write([&](sql::Session& s) {
    s.execute(kFailed, {event_id, error, nowMillis() + retry_in.count()});
  });
}

void Outbox::markDead(const std::string& event_id, std::string_view error, int attempts) const {
  db_.write([&](sql::Session& s) {
    s.execute(kDead, {event_id, error, util::nowRfc3339(), static_cast<std::int64_t>(attempts)});
  });
}

int Outbox::attempts(const std::string& event_id) const {
  return db_.read([&](sql::Session& s) {
    const auto result = s.execute(kAttempts, {event_id});
    return result.empty() ? 0 : static_cast<int>(result[0].getInt64(0));
  });
}

std::vector<Outbox::DeadEvent> Outbox::dead(std::size_t limit) const {
  return db_.read([&](sql::Session& s) {
    std::vector<DeadEvent> events;
    for (const auto& row : s.execute(kListDead, {static_cast<std::int64_t>(limit)})) {
      DeadEvent dead;
      dead.event = eventFromRow(row, source_);
      dead.attempts = static_cast<int>(row.getInt64(5));
      dead.last_error = row.getOptionalText(6).value_or("");
      dead.dead_at = row.getText(7);
      events.push_back(std::move(dead));
    }
    return events;
  });
}

std::size_t Outbox::revive(const std::string& event_id) const {
  const auto revived = db_.write([&](sql::Session& s) {
    return event_id.empty() ? s.execute(kReviveAll).affectedRows()
                            : s.execute(kReviveOne, {event_id}).affectedRows();
  });
  if (revived > 0) committed();
  return static_cast<std::size_t>(revived);
}

std::int64_t Outbox::pendingCount() const {
  return db_.read([](sql::Session& s) { return s.execute(kPending)[0].getInt64(0); });
}

std::int64_t Outbox::purgePublished(std::chrono::system_clock::time_point before) const {
  const std::string cutoff = util::formatRfc3339(before);
  return db_.write(
      [&](sql::Session& s) { return s.execute(kPurgeOutbox, {cutoff}).affectedRows(); });
}

std::vector<Outbox::StoredEvent> Outbox::since(std::string_view since, std::int64_t after_seq,
                                               std::size_t limit) const {
  return db_.read([&](sql::Session& s) {
    std::vector<StoredEvent> events;
    for (const auto& row :
         s.execute(kSince, {since, after_seq, static_cast<std::int64_t>(limit)})) {
      events.push_back({row.getInt64(5), eventFromRow(row, source_)});
    }
    return events;
  });
}

bool claimEvent(sql::Session& session, std::string_view consumer, std::string_view event_id) {
  return session.execute(kClaim, {consumer, event_id, util::nowRfc3339()}).affectedRows() == 1;
}

bool wasProcessed(sql::Database& db, std::string_view consumer, std::string_view event_id) {
  return db.read([&](sql::Session& s) {
    return !s.execute(kProcessed, {consumer, event_id}).empty();
  });
}

bool forgetEvent(sql::Session& session, std::string_view consumer, std::string_view event_id) {
  return session.execute(kForget, {consumer, event_id}).affectedRows() > 0;
}

}  // namespace emporium::events
