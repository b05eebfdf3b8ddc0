#include "core/sql/postgres_connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <system_error>
#include <vector>

#include "core/sql/insert_rows.hpp"

namespace emporium::sql {
namespace {

std::string oneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

// Parameters in libpq's text format. PostgreSQL infers each one's type from
// the statement, as it would for a literal.
class TextParams {
 public:
  TextParams(std::span<const Param> params, std::string_view label) {
    storage_.reserve(params.size());  // no reallocation: values_ points into it
    values_.reserve(params.size());
    for (const Param& param : params) {
      std::string& text = storage_.emplace_back();
      const bool is_null = std::holds_alternative<std::nullptr_t>(param);
      std::visit([&](const auto& value) { format(value, text, label); }, param);
      values_.push_back(is_null ? nullptr : text.c_str());
    }
  }
  int count() const noexcept { return static_cast<int>(values_.size()); }
  const char* const* values() const noexcept { return values_.data(); }

 private:
  static void format(std::nullptr_t /*value*/, std::string& /*out*/, std::string_view /*label*/) {}
  static void format(bool value, std::string& out, std::string_view /*label*/) {
    out = value ? "t" : "f";
  }
  static void format(std::int64_t value, std::string& out, std::string_view /*label*/) {
    out = std::to_string(value);
  }
  static void format(double value, std::string& out, std::string_view /*label*/) {
    // Shortest text that reads back as the same double (round-trip exact).
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.assign(buffer, ec == std::errc{} ? end : buffer);
  }
  static void format(std::string_view value, std::string& out, std::string_view label) {
    // The text format ends a value at NUL; PostgreSQL text cannot hold one.
    if (value.find('\0') != std::string_view::npos) {
      throw Error(ErrorKind::kInvalidValue,
                  "postgres " + std::string(label) + ": a text parameter contains a NUL byte");
    }
    out.assign(value);
  }

  std::vector<std::string> storage_;
  std::vector<const char*> values_;
};

// Appends one value in COPY's text format: \N for NULL, backslash escapes
// for the characters that delimit fields and rows.
class CopyTextWriter {
 public:
  explicit CopyTextWriter(std::string& out) : out_(out) {}

  void operator()(std::nullptr_t /*value*/) const { out_ += "\\N"; }
  void operator()(bool value) const { out_ += value ? 't' : 'f'; }
  void operator()(std::int64_t value) const {
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out_.append(buffer, result.ptr);
  }
  void operator()(double value) const {
    if (std::isnan(value)) {
      out_ += "NaN";
    } else if (std::isinf(value)) {
      out_ += value > 0 ? "Infinity" : "-Infinity";
    } else {
      // Shortest text that reads back as the same double, as TextParams sends.
      char buffer[32];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
      out_.append(buffer, result.ptr);
    }
  }
  void operator()(std::string_view value) const {
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const char* escape = nullptr;
      switch (value[i]) {
        case '\\':
          escape = "\\\\";
          break;
        case '\t':
          escape = "\\t";
          break;
        case '\n':
          escape = "\\n";
          break;
        case '\r':
          escape = "\\r";
          break;
        case '\0':
          throw Error(ErrorKind::kInvalidValue, "a text value contains a NUL byte");
        default:
          continue;
      }
      out_.append(value.substr(plain_from, i - plain_from));
      out_ += escape;
      plain_from = i + 1;
    }
    out_.append(value.substr(plain_from));
  }

 private:
  std::string& out_;
};

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::int64_t affectedRows(pg_result* result) {
  // PQcmdTuples also counts the rows a SELECT returned; the API promises
  // rows inserted, updated or deleted only, as on SQLite.
  const std::string_view tag = PQcmdStatus(result);
  if (!startsWith(tag, "INSERT") && !startsWith(tag, "UPDATE") && !startsWith(tag, "DELETE") &&
      !startsWith(tag, "MERGE")) {
    return 0;
  }
  const std::string_view count = PQcmdTuples(result);
  std::int64_t value = 0;
  std::from_chars(count.data(), count.data() + count.size(), value);
  return value;
}

Result toResult(pg_result* result) {
  const int field_count = PQnfields(result);
  const int row_count = PQntuples(result);
  std::vector<std::string> columns;
  columns.reserve(static_cast<std::size_t>(field_count));
  for (int f = 0; f < field_count; ++f) columns.emplace_back(PQfname(result, f));
  std::vector<Row> rows;
  rows.reserve(static_cast<std::size_t>(row_count));
  for (int r = 0; r < row_count; ++r) {
    std::vector<Cell> cells;
    cells.reserve(static_cast<std::size_t>(field_count));
    for (int f = 0; f < field_count; ++f) {
      if (PQgetisnull(result, r, f) != 0) {
        cells.emplace_back(std::monostate{});
      } else {
        cells.emplace_back(std::string(PQgetvalue(result, r, f),
                                       static_cast<std::size_t>(PQgetlength(result, r, f))));
      }
    }
    rows.emplace_back(std::move(cells));
  }
  return {std::move(columns), std::move(rows), affectedRows(result)};
}

}  // namespace

ErrorKind errorKindForSqlstate(std::string_view sqlstate) {
  if (sqlstate == "23505") return ErrorKind::kUniqueViolation;
  if (sqlstate == "23503") return ErrorKind::kForeignKeyViolation;
  if (sqlstate == "23514" || sqlstate == "23502") return ErrorKind::kCheckViolation;
  if (sqlstate == "40001" || sqlstate == "40P01") return ErrorKind::kSerializationFailure;
  // 08P01 (protocol violation) answers a malformed call, e.g. the wrong
  // number of parameters: a bug, and the connection stays usable.
  if (sqlstate == "08P01") return ErrorKind::kOther;
  // 57P01-57P03: the server is shutting down or starting up.
  if (startsWith(sqlstate, "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03") {
    return ErrorKind::kConnection;
  }
  if (sqlstate == "55P03" || sqlstate == "57014" || sqlstate == "53300") return ErrorKind::kBusy;
  // Class 22, data exception: bad encoding, numeric overflow, invalid text
  // for a type. The input was wrong, not the server.
  if (startsWith(sqlstate, "22")) return ErrorKind::kInvalidValue;
  return ErrorKind::kOther;
}

void PostgresConnection::Finish::operator()(pg_conn* conn) const noexcept { PQfinish(conn); }

void PostgresConnection::ClearResult::operator()(pg_result* result) const noexcept {
  PQclear(result);
}

PostgresConnection::PostgresConnection(const PostgresTarget& target, std::string_view dbname) {
  const std::string db(dbname);
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (std::size_t i = 0; i < target.keywords.size(); ++i) {
    keywords.push_back(target.keywords[i].c_str());
    values.push_back(target.values[i].c_str());
  }
  keywords.push_back("dbname");
  values.push_back(db.c_str());
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname=0: the database name is a name, never a second conninfo.
  conn_.reset(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0));
  if (!conn_) throw Error(ErrorKind::kConnection, "postgres: out of memory while connecting");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw Error(ErrorKind::kConnection, "cannot connect to postgres database '" + db +
                                            "': " + oneLine(PQerrorMessage(conn_.get())));
  }
  // NOTICEs ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn_.get(), [](void* /*arg*/, const char* /*message*/) {}, nullptr);
}

PostgresConnection::~PostgresConnection() = default;

bool PostgresConnection::reusable() const noexcept {
  return PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

PostgresConnection::ResultPtr PostgresConnection::check(ResultPtr result,
                                                        std::string_view what) const {
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  // EMPTY_QUERY: a script of only comments, a no-op as on SQLite.
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return result;
  }

  const char* sqlstate = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  // The primary message only: DETAIL repeats row values, which may be
  // personal data and do not belong in logs.
  const char* primary =
      result ? PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = oneLine(primary != nullptr ? primary : PQerrorMessage(conn_.get()));
  if (message.empty())
    message = "unexpected result status " + std::to_string(static_cast<int>(status));
  const std::string state = sqlstate != nullptr ? sqlstate : "";
  const ErrorKind kind =
      PQstatus(conn_.get()) != CONNECTION_OK ? ErrorKind::kConnection : errorKindForSqlstate(state);
  throw PostgresError(kind,
                      "postgres " + std::string(what) + ": " + message +
                          (state.empty() ? std::string() : " (SQLSTATE " + state + ")"),
                      state);
}

const std::string& PostgresConnection::prepare(const Query& query) {
  if (const auto it = prepared_.find(query.name); it != prepared_.end()) {
    if (it->second.text != query.text) {
      throw Error(ErrorKind::kOther, "postgres " + queryLabel(query) +
                                         ": the name is already used for a different text");
    }
    return it->second.server_name;
  }
  Prepared prepared{std::string(query.text), "s" + std::to_string(prepared_.size())};
  check(ResultPtr(PQprepare(conn_.get(), prepared.server_name.c_str(), prepared.text.c_str(), 0,
                            nullptr)),
        queryLabel(query));
  return prepared_.emplace(std::string(query.name), std::move(prepared)).first->second.server_name;
}

Result PostgresConnection::execute(const Query& query, std::span<const Param> params) {
  const std::string label = queryLabel(query);
  const TextParams text_params(params, label);
  ResultPtr result;
  if (query.name.empty()) {
    result.reset(PQexecParams(conn_.get(), std::string(query.text).c_str(), text_params.count(),
                              nullptr, text_params.values(), nullptr, nullptr, 0));
  } else {
    const std::string& statement = prepare(query);
    result.reset(PQexecPrepared(conn_.get(), statement.c_str(), text_params.count(),
                                text_params.values(), nullptr, nullptr, 0));
  }
  result = check(std::move(result), label);
  return toResult(result.get());
}

void PostgresConnection::copyRows(std::string_view table, std::span<const std::string_view> columns,
                                  std::span<const Param> values) {
  checkInsertRowsShape(table, columns, values);
  if (values.empty()) return;
  const std::string statement = "COPY " + insertTarget(table, columns) + " FROM STDIN";
  const std::string label = "copy into '" + std::string(table) + "'";
  {
    ResultPtr started(PQexec(conn_.get(), statement.c_str()));
    if (!started || PQresultStatus(started.get()) != PGRES_COPY_IN) {
      check(std::move(started), label);  // throws the server's error
      throw Error(ErrorKind::kOther, "postgres " + label + ": the server did not start the COPY");
    }
  }

  // Sent in chunks of about 1 MiB: few calls, bounded memory for any batch.
  constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
  std::string chunk;
  chunk.reserve(kChunkBytes + 4096);
  const auto send = [&] {
    if (PQputCopyData(conn_.get(), chunk.data(), static_cast<int>(chunk.size())) != 1) {
      throw Error(ErrorKind::kConnection,
                  "postgres " + label + ": " + oneLine(PQerrorMessage(conn_.get())));
    }
    chunk.clear();
  };
  try {
    const CopyTextWriter writer(chunk);
    const std::size_t width = columns.size();
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::visit(writer, values[i]);
      chunk += (i + 1) % width == 0 ? '\n' : '\t';
      if (chunk.size() >= kChunkBytes && (i + 1) % width == 0) send();
    }
    if (!chunk.empty()) send();
  } catch (const Error& error) {
    // Never leave the connection in COPY mode: abort it (the transaction is
    // then aborted too) and report what stopped us rather than the server's
    // echo of the abort.
    endCopy("aborted by the client");
    if (error.kind() == ErrorKind::kInvalidValue) {
      throw Error(ErrorKind::kInvalidValue, "postgres " + label + ": " + error.what());
    }
    throw;
  } catch (...) {
    endCopy("aborted by the client");
    throw;
  }
  check(endCopy(nullptr), label);
}

PostgresConnection::ResultPtr PostgresConnection::endCopy(const char* abort_reason) {
  // A failure to send the end shows up as the error result below.
  PQputCopyEnd(conn_.get(), abort_reason);
  ResultPtr outcome(PQgetResult(conn_.get()));
  while (pg_result* extra = PQgetResult(conn_.get())) PQclear(extra);
  return outcome;
}

std::string PostgresConnection::exec(std::string_view sql, std::string_view what) {
  const ResultPtr result = check(ResultPtr(PQexec(conn_.get(), std::string(sql).c_str())), what);
  return PQcmdStatus(result.get());
}

void PostgresConnection::rollbackIfOpen() noexcept {
  if (PQstatus(conn_.get()) != CONNECTION_OK) return;
  if (PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return;
  // Should it fail, reusable() turns false and the pool drops the connection.
  PQclear(PQexec(conn_.get(), "ROLLBACK"));
}

}  // namespace emporium::sql
