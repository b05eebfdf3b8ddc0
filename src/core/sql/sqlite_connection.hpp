#pragma once
// One SQLite connection and its prepared-statement cache: the part of the
// SQLite adapter that talks to sqlite3.h. Pooling and transactions live in
// sqlite_database.hpp.

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/sql/database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace emporium::sql {

/// Rewrites PostgreSQL-style `$N` placeholders as SQLite `?N`, leaving
/// '...' literals, "..." identifiers and comments untouched. (SQLite reads
/// `$1` as a *named* parameter numbered by first appearance, so `$2 ... $1`
/// would bind the wrong values without this.)
std::string toSqlitePlaceholders(std::string_view text);

/// A connection used by one thread at a time. Statements with a non-empty
/// Query::name are prepared once and cached; an unnamed query is prepared
/// for a single use.
class SqliteConnection {
 public:
  enum class Role {
    kWriter,  // sets WAL mode; may write
    kReader,  // query_only: a write through it fails
  };

  /// Opens (creating if needed) the database file. Throws Error{kConnection}.
  SqliteConnection(const std::filesystem::path& path, Role role,
                   std::chrono::milliseconds busy_timeout);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Result execute(const Query& query, std::span<const Param> params);
  /// Session::insertRows(): one cached INSERT, stepped once per row.
  void insertRows(std::string_view table, std::span<const std::string_view> columns,
                  std::span<const Param> values);
  /// Runs one or more statements without parameters (sqlite3_exec); `what`
  /// names them in an error message.
  void exec(std::string_view sql, std::string_view what);
  /// Rolls back the open transaction, if any. Never throws: it runs while
  /// another error is already on its way out.
  void rollbackIfOpen() noexcept;

 private:
  struct CloseDb {
    void operator()(sqlite3* db) const noexcept;
  };
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, Finalize>;
  struct CachedStatement {
    std::string text;  // as the caller wrote it, to catch one name used for two texts
    StatementPtr statement;
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };
  class StatementUse;

  StatementPtr prepare(const Query& query, bool persistent);
  // The cached statement for a named query, prepared on first use.
  sqlite3_stmt* cachedStatement(const Query& query);
  void bind(sqlite3_stmt* stmt, std::span<const Param> params, const Query& query) const;
  [[noreturn]] void fail(std::string_view what) const;

  // Declared before cache_ so that the statements are finalized first.
  std::unique_ptr<sqlite3, CloseDb> db_;
  std::unordered_map<std::string, CachedStatement, NameHash, std::equal_to<>> cache_;
};

}  // namespace emporium::sql
