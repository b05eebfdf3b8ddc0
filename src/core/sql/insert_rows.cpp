#include "core/sql/insert_rows.hpp"

#include <algorithm>

namespace emporium::sql {
namespace {

bool isPlainIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;  // 63: PostgreSQL's NAMEDATALEN - 1
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!letter(name.front()) && name.front() != '_') return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || digit(c) || c == '_'; });
}

}  // namespace

void checkInsertRowsShape(std::string_view table, std::span<const std::string_view> columns,
                          std::span<const Param> values) {
  const std::string label = "insertRows into '" + std::string(table) + "'";
  if (!isPlainIdentifier(table)) {
    throw Error(ErrorKind::kOther, label + ": the table name is not a plain identifier");
  }
  if (columns.empty()) throw Error(ErrorKind::kOther, label + ": no columns");
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (!isPlainIdentifier(columns[i])) {
      throw Error(ErrorKind::kOther,
                  label + ": column '" + std::string(columns[i]) + "' is not a plain identifier");
    }
    if (std::find(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(i), columns[i]) !=
        columns.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw Error(ErrorKind::kOther,
                  label + ": column '" + std::string(columns[i]) + "' is named twice");
    }
  }
  if (values.size() % columns.size() != 0) {
    throw Error(ErrorKind::kOther, label + ": " + std::to_string(values.size()) +
                                       " values do not make whole rows of " +
                                       std::to_string(columns.size()) + " columns");
  }
}

std::string insertTarget(std::string_view table, std::span<const std::string_view> columns) {
  std::string text(table);
  text += " (";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) text += ", ";
    text += columns[i];
  }
  text += ')';
  return text;
}

std::string insertRowStatement(std::string_view table, std::span<const std::string_view> columns) {
  std::string text = "INSERT INTO " + insertTarget(table, columns) + " VALUES (";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) text += ", ";
    text += '$';
    text += std::to_string(i + 1);
  }
  text += ')';
  return text;
}

// A session without a faster path (a test double, say) inserts a row at a
// time through its own execute().
void Session::insertRows(std::string_view table, std::span<const std::string_view> columns,
                         std::span<const Param> values) {
  checkInsertRowsShape(table, columns, values);
  const std::string text = insertRowStatement(table, columns);
  const Query query{text, text};  // the text names itself: one cached statement per shape
  for (std::size_t offset = 0; offset < values.size(); offset += columns.size()) {
    execute(query, values.subspan(offset, columns.size()));
  }
}

}  // namespace emporium::sql
