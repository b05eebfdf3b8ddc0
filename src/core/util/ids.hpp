#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::util {

/// A new identifier "<prefix>_<ULID>": 48 bits of milliseconds then 80 random
/// bits in Crockford base32, so ids sort by creation time (keyset pagination)
/// and cannot be guessed. Within one process ids are strictly increasing, also
/// when several are made in one millisecond (MonotonicUlid); across processes
/// they are ordered by their millisecond only.
std::string newId(std::string_view prefix);

/// The ULID spec's monotonic mode: the first id of a millisecond gets 80 random
/// bits; a later one in the same millisecond (or after the clock stepped back)
/// keeps the last id's millisecond and adds a random 1..2^32 to its random part,
/// so ids come out strictly increasing yet stay hard to guess from a neighbour.
/// Thread-safe. newId() uses one process-wide instance: ordering must hold across
/// every store of the process, as lists sort by id.
class MonotonicUlid {
 public:
  /// 26 Crockford base32 digits for a ULID at unix time `ms`.
  std::string next(std::uint64_t ms);

 private:
  std::mutex mutex_;
  std::uint64_t last_ms_ = 0;
  std::array<std::uint8_t, 10> last_random_{};
};

/// The current UTC time as RFC 3339 with microseconds ("2026-11-26T03:01:02.123456Z").
/// Fixed width, so stored timestamps sort correctly as text on both SQL backends.
std::string nowRfc3339();

/// `at` as RFC 3339 UTC with microseconds, in the same fixed-width form as nowRfc3339().
std::string formatRfc3339(std::chrono::system_clock::time_point at);

/// Parses "YYYY-MM-DD" (midnight) or RFC 3339 UTC "YYYY-MM-DDTHH:MM:SS[.ffffff]Z";
/// nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

}  // namespace emporium::util
