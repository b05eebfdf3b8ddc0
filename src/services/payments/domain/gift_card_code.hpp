#pragma once
// Gift-card codes the shop makes itself: long enough that guessing one is
// hopeless even without the failed-attempt cap (gift_card_guard.hpp).

#include <string>
#include <string_view>

namespace emporium::payments {

/// 32 symbols without the look-alikes 0/O and 1/I, so a code read off a
/// printed card is typed right.
inline constexpr std::string_view kGiftCardAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// 20 symbols of 5 bits each: 100 bits from libsodium's generator.
inline constexpr std::size_t kGiftCardSymbols = 20;

/// A fresh code, "XXXX-XXXX-XXXX-XXXX-XXXX" (24 characters).
std::string generateGiftCardCode();

/// "ABCD-EFGH-..." -> "****-...-WXYZ": what logs may show of a code.
std::string maskGiftCardCode(std::string_view code);

}  // namespace emporium::payments
