#pragma once
// The one SQL interface every service uses. Two adapters implement it: SQLite
// (embedded default) and PostgreSQL (libpq). A service sees the dialect only
// through its migration files and, where the two really differ, a query text.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace emporium::sql {

enum class Dialect { kSqlite, kPostgres };

std::string_view dialectName(Dialect dialect);

/// A named SQL statement. The text uses PostgreSQL-style positional
/// placeholders ($1, $2, ...) on both dialects; the SQLite adapter maps them.
/// The name identifies the statement in logs, metrics and prepared-statement
/// caches, so it must be unique per distinct text.
struct Query {
  std::string_view name;
  std::string_view text;
};

/// How errors name a query: "query '<name>'", or "unnamed query".
inline std::string queryLabel(const Query& query) {
  return query.name.empty() ? std::string("unnamed query")
                            : "query '" + std::string(query.name) + "'";
}

/// A bound parameter. Strings are borrowed: they must outlive the call.
using Param = std::variant<std::nullptr_t, std::int64_t, double, bool, std::string_view>;

/// What went wrong, as far as a caller can act on it.
enum class ErrorKind {
  kUniqueViolation,       // a UNIQUE / PRIMARY KEY constraint refused the write
  kForeignKeyViolation,   // a FOREIGN KEY constraint refused the write
  kCheckViolation,        // a CHECK / NOT NULL constraint refused the write
  kSerializationFailure,  // conflict with a concurrent transaction; safe to retry
  kConnection,            // the server is unreachable or the connection broke
  kBusy,                  // timed out waiting for a lock or a pooled connection
  kMigration,             // a migration is missing, changed after it was applied, or failed
  kType,                  // a column was read as a type it does not hold (a bug)
  kInvalidValue,          // a value the database cannot take (bad encoding, NUL, out of range)
  kOther,
};

std::string_view errorKindName(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

/// One cell of a result row, as the adapter received it.
using Cell = std::variant<std::monostate, std::int64_t, double, std::string>;

/// One result row. Accessors convert between the adapters' representations
/// (PostgreSQL text, SQLite typed values) and throw Error{kType} when a value
/// cannot be read as asked (including NULL for the non-optional accessors).
class Row {
 public:
  explicit Row(std::vector<Cell> cells) : cells_(std::move(cells)) {}

  std::size_t size() const noexcept { return cells_.size(); }
  bool isNull(std::size_t column) const;
  std::int64_t getInt64(std::size_t column) const;
  double getDouble(std::size_t column) const;
  bool getBool(std::size_t column) const;
  std::string getText(std::size_t column) const;
  std::optional<std::int64_t> getOptionalInt64(std::size_t column) const;
  std::optional<std::string> getOptionalText(std::size_t column) const;

 private:
  const Cell& at(std::size_t column) const;
  std::vector<Cell> cells_;
};

/// The rows a statement returned, plus how many rows it changed.
class Result {
 public:
  Result() = default;
  Result(std::vector<std::string> columns, std::vector<Row> rows, std::int64_t affected_rows)
      : columns_(std::move(columns)), rows_(std::move(rows)), affected_rows_(affected_rows) {}

  bool empty() const noexcept { return rows_.empty(); }
  std::size_t size() const noexcept { return rows_.size(); }
  const Row& operator[](std::size_t index) const { return rows_.at(index); }
  auto begin() const noexcept { return rows_.begin(); }
  auto end() const noexcept { return rows_.end(); }
  const std::vector<std::string>& columns() const noexcept { return columns_; }
  /// Rows inserted, updated or deleted by the statement.
  std::int64_t affectedRows() const noexcept { return affected_rows_; }

 private:
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
  std::int64_t affected_rows_ = 0;
};

/// A connection lent to a read() or write() callback. Not thread-safe, and
/// only valid inside that callback.
class Session {
 public:
  virtual ~Session() = default;
  virtual Dialect dialect() const noexcept = 0;
  virtual Result execute(const Query& query, std::span<const Param> params) = 0;

  /// Runs one or more ';'-separated statements that take no parameters and
  /// return no rows (a migration file). Inside write() it joins the
  /// transaction; the script must not BEGIN or COMMIT itself.
  virtual void executeScript(std::string_view sql);

  /// Inserts rows into `table`, as fast as the backend allows: PostgreSQL
  /// streams them with COPY ... FROM STDIN, SQLite steps one cached prepared
  /// INSERT per row. `values` is row-major: row r's value for columns[c] is
  /// values[r * columns.size() + c], so values.size() must be a multiple of
  /// columns.size(). Table and column names must be plain identifiers
  /// ([A-Za-z_][A-Za-z0-9_]*); they are written into the statement. Joins the
  /// current transaction. Constraint violations throw the same Error kinds as
  /// execute(); on PostgreSQL one bad row fails the whole call.
  virtual void insertRows(std::string_view table, std::span<const std::string_view> columns,
                          std::span<const Param> values);

  Result execute(const Query& query) { return execute(query, std::span<const Param>{}); }
  Result execute(const Query& query, std::initializer_list<Param> params) {
    return execute(query, std::span<const Param>(params.begin(), params.size()));
  }
};

/// Connection-pool figures for /metrics.
struct PoolStats {
  std::size_t size = 0;     // connections open
  std::size_t in_use = 0;   // connections lent out now
  std::size_t waiting = 0;  // callers waiting for a connection now
};

/// A service's database. Thread-safe. Calls block: run them off the event
/// loops (handlers marked blocking do).
class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const noexcept = 0;

  /// Runs fn on a read connection and returns what fn returns. On SQLite this
  /// is one of the reader connections (WAL snapshot), on PostgreSQL a pooled
  /// connection in a read-only transaction.
  template <class F>
  auto read(F&& fn) -> std::invoke_result_t<F&, Session&> {
    return runCapturing(/*write=*/false, std::forward<F>(fn));
  }

  /// Runs fn inside one transaction and commits when fn returns; rolls back
  /// and rethrows when fn throws. On SQLite the single writer connection runs
  /// it (BEGIN IMMEDIATE); on PostgreSQL a pooled connection. A transaction
  /// that fails with kSerializationFailure is retried a few times, so fn must
  /// not have side effects outside the database.
  template <class F>
  auto write(F&& fn) -> std::invoke_result_t<F&, Session&> {
    return runCapturing(/*write=*/true, std::forward<F>(fn));
  }

  /// Checks that the database answers; throws Error otherwise.
  virtual void ping() = 0;
  virtual PoolStats poolStats() const = 0;
  /// Where the data lives, for logs (a file path, or host/dbname without password).
  virtual std::string describe() const = 0;

 protected:
  virtual void runRead(const std::function<void(Session&)>& fn) = 0;
  virtual void runWrite(const std::function<void(Session&)>& fn) = 0;

 private:
  template <class F>
  auto runCapturing(bool write, F&& fn) -> std::invoke_result_t<F&, Session&> {
    using R = std::invoke_result_t<F&, Session&>;
    if constexpr (std::is_void_v<R>) {
      const std::function<void(Session&)> body = [&fn](Session& s) { fn(s); };
      write ? runWrite(body) : runRead(body);
    } else {
      std::optional<R> result;
      const std::function<void(Session&)> body = [&fn, &result](Session& s) {
        result.emplace(fn(s));
      };
      write ? runWrite(body) : runRead(body);
      return std::move(*result);
    }
  }
};

/// How to open a service's database.
struct DatabaseOptions {
  std::string service;                      // e.g. "users"; names the file or database
  std::string data_dir = "data";            // SQLite: <data_dir>/<service>.db
  std::optional<std::string> postgres_url;  // set: PostgreSQL, database <url's dbname>_<service>
  std::size_t pool_size = 8;                // PostgreSQL connections / SQLite readers
  std::chrono::milliseconds busy_timeout{5000};
};

/// Opens (and on PostgreSQL creates, if missing) a service's database.
/// Throws Error{kConnection} with a readable message when it cannot.
std::unique_ptr<Database> openDatabase(const DatabaseOptions& options);

}  // namespace emporium::sql
