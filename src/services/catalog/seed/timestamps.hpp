#pragma once
// Timestamps as the catalog stores them: RFC 3339 UTC text with microseconds,
// fixed width ("2026-11-26T03:01:02.123456Z"), as util::nowRfc3339() writes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::catalog::seed {

inline constexpr std::int64_t kMicrosPerSecond = 1'000'000;
inline constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

/// Microseconds since the Unix epoch as "YYYY-MM-DDTHH:MM:SS.ffffffZ".
/// Years 0000-9999 only (the fixed width); throws std::out_of_range beyond.
std::string formatTimestamp(std::int64_t unix_micros);

/// The inverse of formatTimestamp; also reads fewer fraction digits or none
/// ("...:02Z", "...:02.5Z"). nullopt for anything else.
std::optional<std::int64_t> parseTimestamp(std::string_view text);

}  // namespace emporium::catalog::seed
