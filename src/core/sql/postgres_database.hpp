#pragma once
// The PostgreSQL adapter (libpq): one database per service.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/sql/database.hpp"
#include "core/sql/postgres_connection.hpp"
#include "core/sql/postgres_conninfo.hpp"

namespace emporium::sql {

/// The database `<url dbname>_<service>`, created on first open (with UTF-8
/// encoding and the C collation, so that text sorts byte-wise as on SQLite).
///
/// A pool of up to pool_size connections, opened as needed; a caller finding
/// none free waits at most busy_timeout, then gets Error{kBusy}. A connection
/// that broke is dropped (the call gets Error{kConnection}) and replaced on
/// demand. read() runs in a REPEATABLE READ, READ ONLY transaction and write()
/// in a READ COMMITTED one that is retried, up to 5 tries in all, on
/// serialization failures and deadlocks.
///
/// Unlike SQLite, a statement that fails inside a transaction aborts it: a
/// callback that catches such an Error and carries on gets it again from the
/// next statement, and from read()/write() when it returns. Use INSERT ...
/// ON CONFLICT for conflicts that are an expected outcome.
class PostgresDatabase final : public Database {
 public:
  /// Connects, creating the database when it is missing. Throws
  /// Error{kConnection}.
  explicit PostgresDatabase(const DatabaseOptions& options);
  ~PostgresDatabase() override;
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  Dialect dialect() const noexcept override { return Dialect::kPostgres; }
  void ping() override;
  PoolStats poolStats() const override;
  std::string describe() const override;

 protected:
  void runRead(const std::function<void(Session&)>& fn) override;
  void runWrite(const std::function<void(Session&)>& fn) override;

 private:
  class Lease;

  void runTransaction(bool write, const std::function<void(Session&)>& fn);

  PostgresTarget target_;
  std::size_t pool_size_;
  std::chrono::milliseconds busy_timeout_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_;  // guarded by mutex_
  std::size_t open_ = 0;     // idle, lent out or being opened; guarded by mutex_
  std::size_t in_use_ = 0;   // guarded by mutex_
  std::size_t waiting_ = 0;  // guarded by mutex_
};

}  // namespace emporium::sql
