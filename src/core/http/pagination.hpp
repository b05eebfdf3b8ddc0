#pragma once
// Keyset pagination parameters shared by every list endpoint: `limit`
// (1..100, default 20) and an opaque `cursor` that encodes the last key seen.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/http/request.hpp"

namespace emporium::http {

inline constexpr std::size_t kDefaultPageSize = 20;
inline constexpr std::size_t kMaxPageSize = 100;

/// The `limit` query parameter; ApiError 422 naming `limit` when it is not
/// an integer in 1..100.
std::size_t pageLimit(const Request& req);

/// Wraps a keyset position (any text) as an opaque URL-safe cursor.
std::string encodeCursor(std::string_view position);

/// The position inside the `cursor` query parameter, nullopt when absent;
/// ApiError 422 naming `cursor` when it was not made by encodeCursor.
std::optional<std::string> pageCursor(const Request& req);

}  // namespace emporium::http
