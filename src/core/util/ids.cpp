#include "core/util/ids.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace emporium::util {

namespace {

/// 128 bits -> 26 base32 digits (130 bits, two leading zero bits), most significant first.
std::string encodeCrockford(const std::array<std::uint8_t, 16>& bytes) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string digits(26, '0');
  std::uint32_t acc = 0;  // bits not yet emitted, right-aligned
  int acc_bits = 2;       // the two implicit leading zero bits
  std::size_t d = 0;
  for (const auto b : bytes) {
    acc = (acc << 8) | b;
    acc_bits += 8;
    while (acc_bits >= 5) {
      acc_bits -= 5;
      digits[d++] = kAlphabet[(acc >> acc_bits) & 31U];
    }
  }
  return digits;
}

/// Adds `step` to the big-endian number in `bytes`; false when it overflowed.
bool addBigEndian(std::array<std::uint8_t, 10>& bytes, std::uint64_t step) {
  std::uint64_t carry = step;
  for (auto i = bytes.size(); i-- > 0 && carry != 0;) {
    const std::uint64_t sum = bytes[i] + (carry & 0xFFU);
    bytes[i] = static_cast<std::uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return carry == 0;
}

}  // namespace

std::string MonotonicUlid::next(std::uint64_t ms) {
  std::array<std::uint8_t, 16> bytes{};
  {
    const std::lock_guard lock(mutex_);
    bool fresh = ms > last_ms_;
    if (!fresh) {
      std::uint32_t step = 0;
      randombytes_buf(&step, sizeof step);
      // The random part ran out for this millisecond (2^80 / 2^32 ids in it
      // at the least): move on to the next one rather than wrap around.
      if (!addBigEndian(last_random_, std::uint64_t{step} + 1)) {
        ms = last_ms_ + 1;
        fresh = true;
      } else {
        ms = last_ms_;
      }
    }
    if (fresh) randombytes_buf(last_random_.data(), last_random_.size());
    last_ms_ = ms;
    for (int i = 0; i < 6; ++i)
      bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
    std::copy(last_random_.begin(), last_random_.end(), bytes.begin() + 6);
  }
  return encodeCrockford(bytes);
}

std::string newId(std::string_view prefix) {
  // One sequence for the whole process (see MonotonicUlid).
  static MonotonicUlid generator;
  const auto ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::string out(prefix);
  out.push_back('_');
  out += generator.next(ms);
  return out;
}

std::string nowRfc3339() { return formatRfc3339(std::chrono::system_clock::now()); }

std::string formatRfc3339(std::chrono::system_clock::time_point now) {
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  const int m = std::snprintf(out, sizeof out, "%.*s.%06lldZ", static_cast<int>(n), buf,
                              static_cast<long long>(micros));
  return std::string(out, static_cast<std::size_t>(m));
}

std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text) {
  // "2026-11-26", "2026-11-26T10:00:00Z", "2026-11-26T10:00:00.123456Z"; UTC only.
  const std::string s(text);
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) !=
          3 ||
      consumed != 10) {
    return std::nullopt;
  }
  std::int64_t micros = 0;
  if (s.size() > 10) {
    int rest = 0;
    if (s[10] != 'T' ||
        std::sscanf(s.c_str() + 11, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &rest) !=
            3 ||
        rest != 8) {
      return std::nullopt;
    }
    std::size_t at = 19;
    if (at < s.size() && s[at] == '.') {
      std::int64_t scale = 100000;
      for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])) != 0; ++at) {
        micros += (s[at] - '0') * scale;
        scale /= 10;
      }
    }
    if (at + 1 != s.size() || s[at] != 'Z') return std::nullopt;
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::microseconds(micros);
}

}  // namespace emporium::util
