#include "services/catalog/seed/timestamps.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace emporium::catalog::seed {
namespace {

// Parses exactly `digits` decimal digits at text[at].
std::optional<int> digitsAt(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::string formatTimestamp(std::int64_t unix_micros) {
  // Floor division: instants before 1970 still split into day and time of day.
  std::int64_t days = unix_micros / kMicrosPerDay;
  std::int64_t of_day = unix_micros % kMicrosPerDay;
  if (of_day < 0) {
    of_day += kMicrosPerDay;
    --days;
  }
  const std::chrono::year_month_day date{
      std::chrono::sys_days{std::chrono::days{static_cast<int>(days)}}};
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) throw std::out_of_range("timestamp outside years 0000-9999");
  const std::int64_t seconds = of_day / kMicrosPerSecond;
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", year,
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(seconds / 3600), static_cast<int>(seconds / 60 % 60),
                static_cast<int>(seconds % 60), static_cast<int>(of_day % kMicrosPerSecond));
  return text;
}

std::optional<std::int64_t> parseTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z
  const auto year = digitsAt(text, 0, 4);
  const auto month = digitsAt(text, 5, 2);
  const auto day = digitsAt(text, 8, 2);
  const auto hour = digitsAt(text, 11, 2);
  const auto minute = digitsAt(text, 14, 2);
  const auto second = digitsAt(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t fraction = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::int64_t scale = kMicrosPerSecond;
    const std::size_t first_digit = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && at - first_digit < 6) {
      scale /= 10;
      fraction += (text[at] - '0') * scale;
      ++at;
    }
    if (at == first_digit) return std::nullopt;
  }
  if (at + 1 != text.size() || (text[at] != 'Z' && text[at] != 'z')) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  return days * kMicrosPerDay +
         ((std::int64_t{*hour} * 60 + *minute) * 60 + *second) * kMicrosPerSecond + fraction;
}

}  // namespace emporium::catalog::seed
