#include "core/sql/postgres_database.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/sql/retry.hpp"

namespace emporium::sql {
namespace {

// Why not autocommit for read(): a callback often runs several SELECTs
// (an order and its lines) and must see them from one snapshot, as a SQLite
// read() does; REPEATABLE READ gives that. READ ONLY refuses an accidental
// write and lets the same code run against a hot-standby replica.
constexpr std::string_view kBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
constexpr std::string_view kBeginWrite = "BEGIN";

// A session that remembers the first error: PostgreSQL has aborted the
// transaction by then, so nothing after it can succeed or commit.
class PostgresSession final : public Session {
 public:
  explicit PostgresSession(PostgresConnection& connection) : connection_(connection) {}

  using Session::execute;
  Dialect dialect() const noexcept override { return Dialect::kPostgres; }
  Result execute(const Query& query, std::span<const Param> params) override {
    return guarded([&] { return connection_.execute(query, params); });
  }
  void executeScript(std::string_view sql) override {
    guarded([&] { return connection_.exec(sql, "script"); });
  }
  void insertRows(std::string_view table, std::span<const std::string_view> columns,
                  std::span<const Param> values) override {
    guarded([&] { connection_.copyRows(table, columns, values); });
  }

  /// Rethrows the error that aborted the transaction, if fn swallowed one.
  void throwIfAborted() const {
    if (failure_) throw *failure_;
  }

 private:
  template <class F>
  auto guarded(F&& fn) -> decltype(fn()) {
    if (failure_) {
      throw Error(
          failure_->kind(),
          std::string("transaction already aborted by an earlier error: ") + failure_->what());
    }
    try {
      return fn();
    } catch (const Error& error) {
      failure_.emplace(error);
      throw;
    }
  }

  PostgresConnection& connection_;
  std::optional<Error> failure_;
};

void createDatabase(const PostgresTarget& target) {
  std::unique_ptr<PostgresConnection> admin;
  try {
    admin = std::make_unique<PostgresConnection>(target, target.url_dbname);
  } catch (const Error& own_database_error) {
    try {
      admin = std::make_unique<PostgresConnection>(target, "postgres");
    } catch (const Error&) {
      throw Error(ErrorKind::kConnection, "cannot create postgres database '" +
                                              target.service_dbname +
                                              "': " + own_database_error.what());
    }
  }
  // template0 with UTF8 and the C collation: byte-wise ordering and case
  // mapping like SQLite's, and no dependency on the server's OS locales.
  const std::string sql = "CREATE DATABASE " + quoteIdentifier(target.service_dbname) +
                          " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'";
  try {
    admin->exec(sql, "CREATE DATABASE");
  } catch (const PostgresError& error) {
    // Another process created it first: 42P04, or 23505 when both passed
    // the existence check inside the server at the same moment.
    if (error.sqlstate() != "42P04" && error.sqlstate() != "23505") {
      throw Error(ErrorKind::kConnection, error.what());
    }
  }
}

}  // namespace

// A pooled connection lent out for one transaction. Goes back to the pool
// when reusable, else is closed, freeing its slot.
class PostgresDatabase::Lease {
 public:
  explicit Lease(PostgresDatabase& db) : db_(db) {
    std::unique_lock lock(db_.mutex_);
    const auto deadline = std::chrono::steady_clock::now() + db_.busy_timeout_;
    while (db_.idle_.empty() && db_.open_ >= db_.pool_size_) {
      ++db_.waiting_;
      const auto status = db_.available_.wait_until(lock, deadline);
      --db_.waiting_;
      if (status == std::cv_status::timeout && db_.idle_.empty() && db_.open_ >= db_.pool_size_) {
        throw Error(ErrorKind::kBusy, db_.target_.description + ": no connection free after " +
                                          std::to_string(db_.busy_timeout_.count()) + " ms");
      }
    }
    ++db_.in_use_;
    if (!db_.idle_.empty()) {
      connection_ = std::move(db_.idle_.back());
      db_.idle_.pop_back();
      return;
    }
    ++db_.open_;  // reserve the slot, then connect without holding the lock
    lock.unlock();
    try {
      connection_ = std::make_unique<PostgresConnection>(db_.target_, db_.target_.service_dbname);
    } catch (...) {
      release();
      throw;
    }
  }
  ~Lease() { release(); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  PostgresConnection& operator*() const noexcept { return *connection_; }
  PostgresConnection* operator->() const noexcept { return connection_.get(); }

 private:
  void release() noexcept {
    {
      const std::lock_guard lock(db_.mutex_);
      --db_.in_use_;
      if (connection_ && connection_->reusable()) {
        db_.idle_.push_back(std::move(connection_));
      } else {
        --db_.open_;
      }
    }
    connection_.reset();  // closes a broken one outside the lock
    db_.available_.notify_one();
  }

  PostgresDatabase& db_;
  std::unique_ptr<PostgresConnection> connection_;
};

PostgresDatabase::PostgresDatabase(const DatabaseOptions& options)
    : target_(parsePostgresTarget(options.postgres_url.value_or(""), options.service)),
      pool_size_(std::max<std::size_t>(options.pool_size, 1)),
      busy_timeout_(options.busy_timeout) {
  // The first connection proves the URL and, when it fails, the database is
  // probably missing: create it and try again.
  std::unique_ptr<PostgresConnection> first;
  try {
    first = std::make_unique<PostgresConnection>(target_, target_.service_dbname);
  } catch (const Error&) {
    createDatabase(target_);
    first = std::make_unique<PostgresConnection>(target_, target_.service_dbname);
  }
  idle_.push_back(std::move(first));
  open_ = 1;
}

PostgresDatabase::~PostgresDatabase() = default;

void PostgresDatabase::runRead(const std::function<void(Session&)>& fn) {
  runTransaction(/*write=*/false, fn);
}

void PostgresDatabase::runWrite(const std::function<void(Session&)>& fn) {
  runTransaction(/*write=*/true, fn);
}

void PostgresDatabase::runTransaction(bool write, const std::function<void(Session&)>& fn) {
  const std::string_view begin = write ? kBeginWrite : kBeginRead;
  bool reconnected = false;
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) backOffBeforeAttempt(attempt);
    const Lease lease(*this);
    try {
      lease->exec(begin, "BEGIN");
    } catch (const Error& error) {
      // An idle pooled connection may have died (server restart, idle
      // timeout). Nothing has run yet, so a fresh connection is safe to try.
      if (error.kind() != ErrorKind::kConnection || reconnected) throw;
      reconnected = true;
      --attempt;
      continue;
    }
    try {
      PostgresSession session(*lease);
      fn(session);
      session.throwIfAborted();
      if (lease->exec("COMMIT", "COMMIT") != "COMMIT") {
        throw Error(ErrorKind::kOther, target_.description + ": the server rolled back at COMMIT");
      }
      return;
    } catch (const Error& error) {
      lease->rollbackIfOpen();
      if (!write || error.kind() != ErrorKind::kSerializationFailure ||
          attempt >= kMaxWriteAttempts) {
        throw;
      }
    } catch (...) {
      lease->rollbackIfOpen();
      throw;
    }
  }
}

void PostgresDatabase::ping() {
  read([](Session& session) { session.execute(Query{"emporium.ping", "SELECT 1"}); });
}

PoolStats PostgresDatabase::poolStats() const {
  const std::lock_guard lock(mutex_);
  return PoolStats{open_, in_use_, waiting_};
}

std::string PostgresDatabase::describe() const { return target_.description; }

}  // namespace emporium::sql
