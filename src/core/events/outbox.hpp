#pragma once
// The transactional outbox: every service database has an `outbox` table, and
// a service appends its events there inside the transaction that changes its
// state, so the two commit (or roll back) together. A delivery loop (the
// in-process dispatcher, or the RabbitMQ relay) later reads the pending rows,
// hands them on, and marks them published only once that succeeded.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/event.hpp"
#include "core/events/outbox_schema.hpp"
#include "core/sql/database.hpp"

namespace emporium::events {

/// Wakes a delivery loop when an outbox commits, so events leave in
/// milliseconds rather than at the next poll. Thread-safe.
class Doorbell {
 public:
  void ring();
  /// Waits until ring() was called since the last wait returned, or `timeout`
  /// passed. Returns true when rung.
  bool waitFor(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable rung_cv_;
  std::uint64_t rings_ = 0;
  std::uint64_t seen_ = 0;
};

/// One service's outbox: its database and its name as an event source.
class Outbox {
 public:
  Outbox(std::string source, sql::Database& db, Doorbell& doorbell)
      : source_(std::move(source)), db_(db), doorbell_(doorbell) {}

  const std::string& source() const noexcept { return source_; }
  sql::Database& database() const noexcept { return db_; }

  /// Appends an event inside the caller's write transaction and returns it.
  /// `payload` must be a JSON object. Call committed() after the transaction.
  Event add(sql::Session& session, std::string_view type, std::string payload,
            int version = 1) const;

  /// Tells the delivery loop there is something new. Call it after the
  /// write() that added events returned (committed); a ring before the commit
  /// would find nothing and leave the events to the next poll.
  void committed() const { doorbell_.ring(); }

  /// The oldest pending events whose next attempt is due: not yet published,
  /// not dead, next_attempt_at <= now. Ordered by their position in the outbox.
  std::vector<Event> due(std::size_t limit) const;

  /// Marks events published (delivered to the transport or to every consumer).
  void markPublished(const std::vector<std::string>& event_ids) const;

  /// Records a failed attempt: attempts + 1, the error, and the next attempt
  /// `retry_in` from now.
  void markFailed(const std::string& event_id, std::string_view error,
                  std::chrono::milliseconds retry_in) const;

  /// Parks an event in the dead-letter state after `attempts` failed
  /// attempts: no longer due until revive().
  void markDead(const std::string& event_id, std::string_view error, int attempts) const;

  /// How many attempts failed for this event so far (0 for unknown ids).
  int attempts(const std::string& event_id) const;

  /// Dead events (embedded mode's dead-letter queue), oldest first.
  struct DeadEvent {
    Event event;
    int attempts = 0;
    std::string last_error;
    std::string dead_at;
  };
  std::vector<DeadEvent> dead(std::size_t limit) const;

  /// Makes a dead event due again with its attempts reset. An empty id
  /// revives every dead event. Returns how many were revived.
  std::size_t revive(const std::string& event_id) const;

  /// Pending (not published, not dead) events; for metrics and tests.
  std::int64_t pendingCount() const;

  /// Deletes events published before `before`; returns how many.
  std::int64_t purgePublished(std::chrono::system_clock::time_point before) const;

  /// An event as this outbox holds it, with its position in the outbox.
  struct StoredEvent {
    std::int64_t seq = 0;
    Event event;
  };
  /// Events that occurred at or after `since` (util::formatRfc3339's
  /// fixed-width form), published or not, positioned after `after_seq`, in
  /// outbox order; at most `limit`. Pages through what is still kept for
  /// `emporium events replay` (published rows go after the retention).
  std::vector<StoredEvent> since(std::string_view since, std::int64_t after_seq,
                                 std::size_t limit) const;

 private:
  std::string source_;
  sql::Database& db_;
  Doorbell& doorbell_;
};

/// Consumer idempotency: a processed_events(consumer, event_id) table in the
/// consumer's own database. claim() inserts the row inside the caller's write
/// transaction and returns false when it was already there, so a handler that
/// changes the same database applies each event exactly once.
bool claimEvent(sql::Session& session, std::string_view consumer, std::string_view event_id);
/// Whether the consumer already recorded this event (for side effects outside
/// the database, which check first, act, then claim).
bool wasProcessed(sql::Database& db, std::string_view consumer, std::string_view event_id);
/// Deletes the consumer's record of this event inside the caller's write
/// transaction, so that the next delivery acts on it again (`emporium events
/// replay --to`). Returns whether there was one.
bool forgetEvent(sql::Session& session, std::string_view consumer, std::string_view event_id);

}  // namespace emporium::events
