#include "services/cart/domain/cart.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace emporium::cart {
namespace {

constexpr std::string_view kPrefix = "cart_";
constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";  // RFC 4648 base32
constexpr std::size_t kRandomBytes = 16;
constexpr std::size_t kDigits = (kRandomBytes * 8 + 4) / 5;  // 26

}  // namespace

std::string newCartId() {
  std::array<unsigned char, kRandomBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string out(kPrefix);
  out.reserve(kPrefix.size() + kDigits);
  std::uint32_t acc = 0;  // bits not yet emitted, right-aligned
  int acc_bits = 0;
  for (const auto b : bytes) {
    acc = (acc << 8) | b;
    acc_bits += 8;
    while (acc_bits >= 5) {
      acc_bits -= 5;
      out.push_back(kAlphabet[(acc >> acc_bits) & 31U]);
    }
  }
  if (acc_bits > 0) out.push_back(kAlphabet[(acc << (5 - acc_bits)) & 31U]);
  return out;
}

bool isCartId(std::string_view text) {
  if (text.size() != kPrefix.size() + kDigits || !text.starts_with(kPrefix)) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(kPrefix.size()), text.end(),
                     [](char c) { return kAlphabet.find(c) != std::string_view::npos; });
}

}  // namespace emporium::cart
