#pragma once
// Card-number rules the sandbox provider applies when it tokenizes a card:
// normalization, the Luhn check digit, the brand from the number's prefix and
// the expiry date. Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::payments {

/// The digits of a card number as typed ("4242 4242-4242 4242"): spaces and
/// dashes dropped; nullopt unless 12..19 digits remain and nothing else.
std::optional<std::string> normalizeCardNumber(std::string_view typed);

/// True when the digits pass the Luhn (mod 10) check. digits: '0'..'9' only.
bool luhnValid(std::string_view digits);

/// "visa", "mastercard", "amex", "discover" or "unknown", from the prefix.
std::string_view cardBrand(std::string_view digits);

/// A calendar month, for expiry checks against an injected "today".
struct YearMonth {
  int year = 0;
  int month = 0;  // 1..12
};

/// The current month in UTC.
YearMonth currentUtcMonth();

/// Why an expiry is unusable ("exp_month" / "exp_year" and a message), or
/// nullopt. A card is valid through the last day of its expiry month.
struct ExpiryProblem {
  std::string field;
  std::string message;
};
std::optional<ExpiryProblem> checkExpiry(std::int64_t month, std::int64_t year, YearMonth today);

/// True for 3 or 4 ASCII digits.
bool cvcValid(std::string_view cvc);

}  // namespace emporium::payments
