#include "services/notifications/domain/money.hpp"

#include <array>
#include <utility>

namespace emporium::notifications {
namespace {

struct CurrencyFormat {
  std::string_view code;
  std::string_view symbol;  // empty: write the code before the amount
  int decimals;
};

// The currencies a shop is likely to sell in; any other ISO 4217 code is
// written as "<code> 12.34", which is unambiguous if less pretty.
constexpr std::array<CurrencyFormat, 10> kFormats = {{
    {"USD", "$", 2},
    {"EUR", "€", 2},
    {"GBP", "£", 2},
    {"JPY", "¥", 0},
    {"KRW", "₩", 0},
    {"INR", "₹", 2},
    {"CAD", "CA$", 2},
    {"AUD", "A$", 2},
    {"ISK", "", 0},
    {"CLP", "", 0},
}};

}  // namespace

std::string formatMoney(std::int64_t amount, std::string_view currency) {
  CurrencyFormat format{currency, "", 2};
  for (const auto& known : kFormats) {
    if (known.code == currency) format = known;
  }
  const bool negative = amount < 0;
  // Unsigned, so the most negative amount does not overflow on negation.
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
  std::string digits;
  if (format.decimals == 0) {
    digits = std::to_string(magnitude);
  } else {
    std::uint64_t scale = 1;
    for (int i = 0; i < format.decimals; ++i) scale *= 10;
    std::string fraction = std::to_string(magnitude % scale);
    fraction.insert(0, static_cast<std::size_t>(format.decimals) - fraction.size(), '0');
    digits = std::to_string(magnitude / scale) + "." + fraction;
  }
  std::string out = negative ? "-" : "";
  if (format.symbol.empty()) {
    out.append(currency).append(" ");
  } else {
    out.append(format.symbol);
  }
  return out + digits;
}

}  // namespace emporium::notifications
