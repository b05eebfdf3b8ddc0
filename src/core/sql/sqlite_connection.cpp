#include "core/sql/sqlite_connection.hpp"

#include <sqlite3.h>

#include <cctype>
#include <climits>
#include <utility>

#include "core/sql/insert_rows.hpp"

namespace emporium::sql {
namespace {

bool isIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

// Copies text[i] up to and including `close`, or to the end. Returns the
// index after the copied part.
std::size_t copyUntil(std::string_view text, std::size_t i, std::string_view close,
                      std::string& out) {
  const std::size_t end = text.find(close, i);
  const std::size_t stop = end == std::string_view::npos ? text.size() : end + close.size();
  out.append(text.substr(i, stop - i));
  return stop;
}

ErrorKind kindOf(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return ErrorKind::kUniqueViolation;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return ErrorKind::kForeignKeyViolation;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_DATATYPE:
    case SQLITE_CONSTRAINT_TRIGGER:
      return ErrorKind::kCheckViolation;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kBusy;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_NOTADB:
    case SQLITE_FULL:
      return ErrorKind::kConnection;
    default:
      return ErrorKind::kOther;
  }
}

Cell readCell(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_NULL:
      return std::monostate{};
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, column));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, column);
    default: {
      // TEXT and BLOB: the pointer must be fetched before the length.
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, column));
      const int size = sqlite3_column_bytes(stmt, column);
      return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
    }
  }
}

}  // namespace

std::string toSqlitePlaceholders(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\'') {
      // A doubled '' inside a literal closes and reopens it: same result.
      i = copyUntil(text, i + 1, "'", out.append(1, c));
    } else if (c == '"') {
      i = copyUntil(text, i + 1, "\"", out.append(1, c));
    } else if (c == '-' && next == '-') {
      i = copyUntil(text, i, "\n", out);
    } else if (c == '/' && next == '*') {
      i = copyUntil(text, i + 2, "*/", out.append("/*"));
    } else if (c == '$' && std::isdigit(static_cast<unsigned char>(next)) != 0 &&
               (i == 0 || !isIdentifierChar(text[i - 1]))) {
      out.push_back('?');
      ++i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
        out.push_back(text[i++]);
      }
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

void SqliteConnection::CloseDb::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

void SqliteConnection::Finalize::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

// Lends a prepared statement for one execution and leaves it clean afterwards:
// a cached statement is reset with its bindings cleared, a one-off finalized.
class SqliteConnection::StatementUse {
 public:
  StatementUse(sqlite3_stmt* cached, StatementPtr one_off)
      : stmt_(cached != nullptr ? cached : one_off.get()), one_off_(std::move(one_off)) {}
  ~StatementUse() {
    if (!one_off_) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  sqlite3_stmt* get() const noexcept { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
  StatementPtr one_off_;
};

SqliteConnection::SqliteConnection(const std::filesystem::path& path, Role role,
                                   std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);  // even a failed open allocates a handle that must be closed
  if (rc != SQLITE_OK) {
    throw Error(ErrorKind::kConnection,
                "cannot open sqlite database " + path.string() + ": " +
                    (raw != nullptr ? sqlite3_errmsg(raw) : "out of memory"));
  }
  const auto timeout_ms = std::min<std::chrono::milliseconds::rep>(busy_timeout.count(), INT_MAX);
  sqlite3_busy_timeout(db_.get(), static_cast<int>(timeout_ms));
  if (role == Role::kWriter) {
    const Result mode = execute(Query{"", "PRAGMA journal_mode = WAL"}, {});
    if (mode.empty() || mode[0].getText(0) != "wal") {
      throw Error(ErrorKind::kConnection,
                  "sqlite database " + path.string() + " cannot use WAL journal mode");
    }
  }
  // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power
  // loss, and a write() that returned (an order acknowledged) must survive.
  exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "connection setup");
  if (role == Role::kReader) exec("PRAGMA query_only = ON", "connection setup");
}

SqliteConnection::~SqliteConnection() = default;

void SqliteConnection::fail(std::string_view what) const {
  const int code = sqlite3_extended_errcode(db_.get());
  throw Error(kindOf(code), "sqlite " + std::string(what) + ": " + sqlite3_errmsg(db_.get()) +
                                " (code " + std::to_string(code) + ")");
}

SqliteConnection::StatementPtr SqliteConnection::prepare(const Query& query, bool persistent) {
  const std::string text = toSqlitePlaceholders(query.text);
  const char* const end = text.data() + text.size();
  const char* tail = nullptr;
  sqlite3_stmt* raw = nullptr;
  const unsigned flags = persistent ? SQLITE_PREPARE_PERSISTENT : 0;
  if (sqlite3_prepare_v3(db_.get(), text.data(), static_cast<int>(text.size()), flags, &raw,
                         &tail) != SQLITE_OK) {
    fail(queryLabel(query));
  }
  StatementPtr statement(raw);
  if (!statement) {
    throw Error(ErrorKind::kOther, "sqlite " + queryLabel(query) + " holds no statement");
  }
  // Only the first statement would run: refuse the rest rather than drop it.
  if (tail != nullptr && tail < end) {
    sqlite3_stmt* extra = nullptr;
    sqlite3_prepare_v3(db_.get(), tail, static_cast<int>(end - tail), 0, &extra, nullptr);
    if (extra != nullptr) {
      sqlite3_finalize(extra);
      throw Error(ErrorKind::kOther, "sqlite " + queryLabel(query) +
                                         " holds more than one statement; use executeScript()");
    }
  }
  return statement;
}

sqlite3_stmt* SqliteConnection::cachedStatement(const Query& query) {
  if (auto it = cache_.find(query.name); it != cache_.end()) {
    if (it->second.text != query.text) {
      throw Error(ErrorKind::kOther, "sqlite " + queryLabel(query) +
                                         ": the name is already used for a different text");
    }
    return it->second.statement.get();
  }
  StatementPtr prepared = prepare(query, /*persistent=*/true);
  sqlite3_stmt* const stmt = prepared.get();
  cache_.emplace(std::string(query.name),
                 CachedStatement{std::string(query.text), std::move(prepared)});
  return stmt;
}

void SqliteConnection::bind(sqlite3_stmt* stmt, std::span<const Param> params,
                            const Query& query) const {
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw Error(ErrorKind::kOther, "sqlite " + queryLabel(query) + " takes " +
                                       std::to_string(expected) + " parameters, got " +
                                       std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const int rc = std::visit(
        [&](const auto& value) -> int {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return sqlite3_bind_null(stmt, index);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(stmt, index, value);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt, index, value);
          } else if constexpr (std::is_same_v<T, bool>) {
            return sqlite3_bind_int(stmt, index, value ? 1 : 0);
          } else {
            // A null data() would bind NULL; an empty string_view means ''.
            // SQLITE_STATIC: the caller keeps the text alive for the call,
            // and the statement's bindings are cleared before it returns.
            const char* data = value.data() != nullptr ? value.data() : "";
            return sqlite3_bind_text64(stmt, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
          }
        },
        params[i]);
    if (rc != SQLITE_OK) fail(queryLabel(query));
  }
}

Result SqliteConnection::execute(const Query& query, std::span<const Param> params) {
  sqlite3_stmt* cached = nullptr;
  StatementPtr one_off;
  if (query.name.empty()) {
    one_off = prepare(query, /*persistent=*/false);
  } else {
    cached = cachedStatement(query);
  }
  const StatementUse use(cached, std::move(one_off));
  sqlite3_stmt* const stmt = use.get();
  bind(stmt, params, query);

  const sqlite3_int64 changes_before = sqlite3_total_changes64(db_.get());
  const int column_count = sqlite3_column_count(stmt);
  std::vector<std::string> columns;
  columns.reserve(static_cast<std::size_t>(column_count));
  for (int c = 0; c < column_count; ++c) {
    const char* name = sqlite3_column_name(stmt, c);
    columns.emplace_back(name != nullptr ? name : "");
  }
  std::vector<Row> rows;
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail(queryLabel(query));
    std::vector<Cell> cells;
    cells.reserve(static_cast<std::size_t>(column_count));
    for (int c = 0; c < column_count; ++c) cells.push_back(readCell(stmt, c));
    rows.emplace_back(std::move(cells));
  }
  // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, even
  // after a SELECT; only trust it when this statement changed something.
  const bool changed = sqlite3_total_changes64(db_.get()) != changes_before;
  const std::int64_t affected = changed ? sqlite3_changes64(db_.get()) : 0;
  return {std::move(columns), std::move(rows), affected};
}

void SqliteConnection::insertRows(std::string_view table, std::span<const std::string_view> columns,
                                  std::span<const Param> values) {
  checkInsertRowsShape(table, columns, values);
  if (values.empty()) return;
  // One statement per (table, columns), prepared once and kept in the cache,
  // so a loader calling this per batch parses the INSERT only once.
  const std::string text = insertRowStatement(table, columns);
  const std::string name = "insertRows " + insertTarget(table, columns);
  const Query query{name, text};
  const StatementUse use(cachedStatement(query), nullptr);
  sqlite3_stmt* const stmt = use.get();
  for (std::size_t offset = 0; offset < values.size(); offset += columns.size()) {
    bind(stmt, values.subspan(offset, columns.size()), query);
    if (sqlite3_step(stmt) != SQLITE_DONE) fail(queryLabel(query));
    sqlite3_reset(stmt);
  }
}

void SqliteConnection::exec(std::string_view sql, std::string_view what) {
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // sqlite3_errmsg() still holds the same text
  if (rc != SQLITE_OK) fail(what);
}

void SqliteConnection::rollbackIfOpen() noexcept {
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    // ROLLBACK fails only on I/O errors; the next BEGIN then reports it.
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace emporium::sql
