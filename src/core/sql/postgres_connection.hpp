#pragma once
// One libpq connection and its prepared statements: the part of the
// PostgreSQL adapter that talks to libpq-fe.h. Pooling and transactions live
// in postgres_database.hpp.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/sql/database.hpp"
#include "core/sql/postgres_conninfo.hpp"

struct pg_conn;
struct pg_result;

namespace emporium::sql {

/// The ErrorKind for a SQLSTATE code ("23505" -> kUniqueViolation, ...).
ErrorKind errorKindForSqlstate(std::string_view sqlstate);

/// An Error that also carries the server's SQLSTATE (empty when the error
/// did not come from the server).
class PostgresError : public Error {
 public:
  PostgresError(ErrorKind kind, const std::string& message, std::string sqlstate)
      : Error(kind, message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

/// A connection used by one thread at a time. A query with a non-empty
/// Query::name is prepared (PQprepare) on its first use on this connection
/// and run with PQexecPrepared afterwards; parameters travel as text.
class PostgresConnection {
 public:
  /// Connects to `dbname` with target's other parameters. Throws
  /// Error{kConnection}.
  PostgresConnection(const PostgresTarget& target, std::string_view dbname);
  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  Result execute(const Query& query, std::span<const Param> params);
  /// Session::insertRows(): one COPY table (columns) FROM STDIN in text
  /// format, streamed in chunks. A value that cannot be sent (text with a NUL
  /// byte) aborts the COPY and throws Error{kInvalidValue}.
  void copyRows(std::string_view table, std::span<const std::string_view> columns,
                std::span<const Param> values);
  /// Runs ';'-separated statements without parameters (PQexec) and returns
  /// the command tag of the last one ("COMMIT", "ROLLBACK", ...). `what`
  /// names them in an error message.
  std::string exec(std::string_view sql, std::string_view what);
  /// Rolls back the open transaction, if any. Never throws: it runs while
  /// another error is already on its way out.
  void rollbackIfOpen() noexcept;
  /// Connected and outside any transaction: fit to go back to the pool.
  bool reusable() const noexcept;

 private:
  struct Finish {
    void operator()(pg_conn* conn) const noexcept;
  };
  struct ClearResult {
    void operator()(pg_result* result) const noexcept;
  };
  using ResultPtr = std::unique_ptr<pg_result, ClearResult>;
  struct Prepared {
    std::string text;         // as the caller wrote it, to catch one name used for two texts
    std::string server_name;  // "s<n>": Query::name may be longer than a PostgreSQL identifier
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };

  const std::string& prepare(const Query& query);
  // Ends the COPY in progress (with `abort_reason` when not null: the server
  // then fails it) and returns its outcome, leaving no result pending.
  ResultPtr endCopy(const char* abort_reason);
  // Throws unless `result` succeeded; returns it for reading.
  ResultPtr check(ResultPtr result, std::string_view what) const;

  std::unique_ptr<pg_conn, Finish> conn_;
  std::unordered_map<std::string, Prepared, NameHash, std::equal_to<>> prepared_;
};

}  // namespace emporium::sql
