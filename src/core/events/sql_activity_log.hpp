#pragma once
// The activity log on SQL (the embedded default, and any deployment without
// RabbitMQ): an append-only activity_log table in its own "activity"
// database, written in batches off the request path.

#include <memory>

#include "core/events/activity_log.hpp"
#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "core/sql/migrations.hpp"

namespace emporium::events {

/// The activity database's schema.
const sql::MigrationSet& migrations();

struct ActivityLogOptions {
  std::size_t queue_capacity = 10000;  // events waiting to be written; more are dropped
  std::chrono::milliseconds flush_interval{200};
  std::chrono::hours retention{24 * 30};
};

class SqlActivityLog final : public ActivityLog {
 public:
  SqlActivityLog(sql::Database& db, ActivityLogOptions options, const log::Logger& logger);
  ~SqlActivityLog() override;  // writes what is queued
  SqlActivityLog(const SqlActivityLog&) = delete;
  SqlActivityLog& operator=(const SqlActivityLog&) = delete;

  void record(std::string_view type, std::string payload) override;
  void flush() override;
  std::size_t replay(std::chrono::system_clock::time_point from,
                     const std::function<void(const Event&)>& sink) override;

  /// Events dropped because the queue was full.
  std::uint64_t dropped() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace emporium::events
