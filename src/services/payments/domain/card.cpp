#include "services/payments/domain/card.hpp"

#include <chrono>

namespace emporium::payments {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// The number formed by the first `count` digits (callers check the length).
int prefixValue(std::string_view digits, std::size_t count) {
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) value = value * 10 + (digits[i] - '0');
  return value;
}

constexpr std::size_t kMinDigits = 12;
constexpr std::size_t kMaxDigits = 19;
// Test suites like far-future expiries (2099); a century ahead is only a typo.
constexpr std::int64_t kMaxYearsAhead = 100;

}  // namespace

std::optional<std::string> normalizeCardNumber(std::string_view typed) {
  std::string digits;
  for (const char c : typed) {
    if (c == ' ' || c == '-') continue;
    if (!isDigit(c)) return std::nullopt;
    digits.push_back(c);
    if (digits.size() > kMaxDigits) return std::nullopt;
  }
  if (digits.size() < kMinDigits) return std::nullopt;
  return digits;
}

bool luhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool doubled = false;
  // From the check digit leftwards, every second digit is doubled.
  for (std::size_t i = digits.size(); i-- > 0;) {
    const char c = digits[i];
    if (!isDigit(c)) return false;
    int d = c - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
  }
  return sum % 10 == 0;
}

std::string_view cardBrand(std::string_view digits) {
  if (digits.size() < 4) return "unknown";
  if (digits[0] == '4') return "visa";
  const int two = prefixValue(digits, 2);
  const int four = prefixValue(digits, 4);
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return "mastercard";
  if (two == 34 || two == 37) return "amex";
  if (four == 6011 || two == 65) return "discover";
  return "unknown";
}

YearMonth currentUtcMonth() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{today};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month()))};
}

std::optional<ExpiryProblem> checkExpiry(std::int64_t month, std::int64_t year, YearMonth today) {
  if (month < 1 || month > 12) return ExpiryProblem{"exp_month", "must be from 1 to 12"};
  // Two-digit years ("27") are common in card forms.
  if (year >= 0 && year < 100) year += 2000;
  if (year < today.year || (year == today.year && month < today.month)) {
    return ExpiryProblem{"exp_year", "the card has expired"};
  }
  if (year > today.year + kMaxYearsAhead) {
    return ExpiryProblem{"exp_year", "is too far in the future"};
  }
  return std::nullopt;
}

bool cvcValid(std::string_view cvc) {
  if (cvc.size() < 3 || cvc.size() > 4) return false;
  for (const char c : cvc) {
    if (!isDigit(c)) return false;
  }
  return true;
}

}  // namespace emporium::payments
