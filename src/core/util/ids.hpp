#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::util {

/// A new identifier "<prefix>_<ULID>": 48 bits of milliseconds then 80 random
/// bits in Crockford base32, so ids sort by creation time (keyset pagination)
/// and cannot be guessed.
std::string newId(std::string_view prefix);

/// The current UTC time as RFC 3339 with microseconds ("2026-11-26T03:01:02.123456Z").
/// Fixed width, so stored timestamps sort correctly as text on both SQL backends.
std::string nowRfc3339();

/// `at` as RFC 3339 UTC with microseconds, in the same fixed-width form as nowRfc3339().
std::string formatRfc3339(std::chrono::system_clock::time_point at);

/// Parses "YYYY-MM-DD" (midnight) or RFC 3339 UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]Z";
/// nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

}  // namespace emporium::util
