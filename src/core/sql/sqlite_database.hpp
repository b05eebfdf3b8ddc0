#pragma once
// The SQLite adapter: the embedded default, one file per service.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/sql/database.hpp"
#include "core/sql/sqlite_connection.hpp"

namespace emporium::sql {

/// <data_dir>/<service>.db in WAL mode with synchronous=FULL, so a write()
/// that has returned survives a crash or power loss.
///
/// One writer connection: write() calls queue for it (at most busy_timeout,
/// then Error{kBusy}) and run in BEGIN IMMEDIATE, which also serializes them
/// against other processes using the same file; a write() whose callback
/// throws kSerializationFailure is retried as on PostgreSQL. pool_size
/// reader connections (query_only): each read() runs in its own deferred
/// transaction, so every statement in it sees one WAL snapshot.
class SqliteDatabase final : public Database {
 public:
  /// Creates data_dir if needed and opens the file. Throws Error{kConnection}.
  explicit SqliteDatabase(const DatabaseOptions& options);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Dialect dialect() const noexcept override { return Dialect::kSqlite; }
  void ping() override;
  /// Counts the reader connections and the writer together.
  PoolStats poolStats() const override;
  std::string describe() const override;

 protected:
  void runRead(const std::function<void(Session&)>& fn) override;
  void runWrite(const std::function<void(Session&)>& fn) override;

 private:
  class ReaderLease;
  class WriterTurn;

  std::filesystem::path path_;
  std::chrono::milliseconds busy_timeout_;

  std::unique_ptr<SqliteConnection> writer_;
  mutable std::mutex writer_mutex_;
  std::condition_variable writer_free_;
  // The thread inside write(), if any: also refuses a nested write() on it,
  // which would otherwise wait for itself. Guarded by writer_mutex_.
  std::thread::id writer_thread_;
  std::size_t writers_waiting_ = 0;  // guarded by writer_mutex_

  mutable std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<SqliteConnection>> readers_;
  std::vector<SqliteConnection*> idle_readers_;  // guarded by readers_mutex_
  std::size_t readers_waiting_ = 0;              // guarded by readers_mutex_
};

}  // namespace emporium::sql
