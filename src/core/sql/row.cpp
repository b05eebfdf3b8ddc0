// Row accessors and the small free functions of database.hpp.
//
// PostgreSQL cells arrive as text (the adapter asks libpq for the text format),
// SQLite cells as typed values; each accessor accepts both so that services
// read a column the same way on either dialect.

#include <charconv>
#include <string>
#include <system_error>

#include "core/sql/database.hpp"

namespace emporium::sql {
namespace {

// Names the kind of value only: cell contents may be personal data and do
// not belong in error messages.
std::string_view describeCell(const Cell& cell) {
  switch (cell.index()) {
    case 0:
      return "NULL";
    case 1:
      return "an integer";
    case 2:
      return "a real";
    default:
      return "text";
  }
}

[[noreturn]] void throwType(std::size_t column, const Cell& cell, std::string_view wanted) {
  throw Error(ErrorKind::kType, "column " + std::to_string(column) + " holds " +
                                    std::string(describeCell(cell)) + ", read as " +
                                    std::string(wanted));
}

template <class T>
bool parseWhole(const std::string& text, T& out) {
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end && !text.empty();
}

std::string formatDouble(double value) {
  char buffer[32];
  const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, ptr) : std::to_string(value);
}

}  // namespace

std::string_view dialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSqlite:
      return "sqlite";
    case Dialect::kPostgres:
      return "postgres";
  }
  return "unknown";
}

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUniqueViolation:
      return "unique_violation";
    case ErrorKind::kForeignKeyViolation:
      return "foreign_key_violation";
    case ErrorKind::kCheckViolation:
      return "check_violation";
    case ErrorKind::kSerializationFailure:
      return "serialization_failure";
    case ErrorKind::kConnection:
      return "connection";
    case ErrorKind::kBusy:
      return "busy";
    case ErrorKind::kMigration:
      return "migration";
    case ErrorKind::kType:
      return "type";
    case ErrorKind::kInvalidValue:
      return "invalid_value";
    case ErrorKind::kOther:
      return "other";
  }
  return "unknown";
}

void Session::executeScript(std::string_view /*sql*/) {
  throw Error(ErrorKind::kOther, "this session does not support executeScript()");
}

const Cell& Row::at(std::size_t column) const {
  if (column >= cells_.size()) {
    throw Error(ErrorKind::kType, "column " + std::to_string(column) + " out of range (row has " +
                                      std::to_string(cells_.size()) + " columns)");
  }
  return cells_[column];
}

bool Row::isNull(std::size_t column) const {
  return std::holds_alternative<std::monostate>(at(column));
}

std::int64_t Row::getInt64(std::size_t column) const {
  const Cell& cell = at(column);
  if (const auto* value = std::get_if<std::int64_t>(&cell)) return *value;
  if (const auto* text = std::get_if<std::string>(&cell)) {
    std::int64_t value = 0;
    if (parseWhole(*text, value)) return value;
  }
  throwType(column, cell, "int64");
}

double Row::getDouble(std::size_t column) const {
  const Cell& cell = at(column);
  if (const auto* value = std::get_if<double>(&cell)) return *value;
  // SQLite stores a REAL that happens to be whole as an integer when the
  // column has NUMERIC affinity, so an integer cell is a valid double.
  if (const auto* value = std::get_if<std::int64_t>(&cell)) return static_cast<double>(*value);
  if (const auto* text = std::get_if<std::string>(&cell)) {
    double value = 0;
    if (parseWhole(*text, value)) return value;
  }
  throwType(column, cell, "double");
}

bool Row::getBool(std::size_t column) const {
  const Cell& cell = at(column);
  if (const auto* value = std::get_if<std::int64_t>(&cell)) {
    if (*value == 0 || *value == 1) return *value == 1;
  } else if (const auto* text = std::get_if<std::string>(&cell)) {
    if (*text == "t" || *text == "true") return true;
    if (*text == "f" || *text == "false") return false;
  }
  throwType(column, cell, "bool");
}

std::string Row::getText(std::size_t column) const {
  const Cell& cell = at(column);
  if (const auto* text = std::get_if<std::string>(&cell)) return *text;
  // PostgreSQL hands every column over as text, so SQLite numbers are
  // formatted the same way for code that reads them as text.
  if (const auto* value = std::get_if<std::int64_t>(&cell)) return std::to_string(*value);
  if (const auto* value = std::get_if<double>(&cell)) return formatDouble(*value);
  throwType(column, cell, "text");
}

std::optional<std::int64_t> Row::getOptionalInt64(std::size_t column) const {
  if (isNull(column)) return std::nullopt;
  return getInt64(column);
}

std::optional<std::string> Row::getOptionalText(std::size_t column) const {
  if (isNull(column)) return std::nullopt;
  return getText(column);
}

}  // namespace emporium::sql
