#pragma once
// Money in mail: amounts are integers in the currency's minor unit, as the
// API renders them ({"amount": 1234, "currency": "USD"}).

#include <cstdint>
#include <string>
#include <string_view>

namespace emporium::notifications {

/// "$12.34", "€12.34", "£0.99", "¥1234" (no minor unit), "-$5.00"; a
/// currency without a known symbol as "CHF 12.34".
std::string formatMoney(std::int64_t amount, std::string_view currency);

}  // namespace emporium::notifications
