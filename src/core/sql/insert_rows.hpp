#pragma once
// Shared by the adapters' Session::insertRows(): checking the call's shape
// and writing the INSERT a row at a time falls back to. Not a public header.

#include <span>
#include <string>
#include <string_view>

#include "core/sql/database.hpp"

namespace emporium::sql {

/// Throws Error{kOther} unless table and columns are plain identifiers, no
/// column repeats, and values.size() is a multiple of columns.size() (> 0).
void checkInsertRowsShape(std::string_view table, std::span<const std::string_view> columns,
                          std::span<const Param> values);

/// "INSERT INTO table (a, b) VALUES ($1, $2)".
std::string insertRowStatement(std::string_view table, std::span<const std::string_view> columns);

/// "table (a, b)": the target list COPY and INSERT share.
std::string insertTarget(std::string_view table, std::span<const std::string_view> columns);

}  // namespace emporium::sql
