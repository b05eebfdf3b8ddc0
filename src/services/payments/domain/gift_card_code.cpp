#include "services/payments/domain/gift_card_code.hpp"

#include <sodium.h>

#include <stdexcept>

namespace emporium::payments {
namespace {
constexpr std::size_t kGroup = 4;
constexpr std::size_t kShown = 4;
}  // namespace

std::string generateGiftCardCode() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::string code;
  code.reserve(kGiftCardSymbols + (kGiftCardSymbols / kGroup));
  for (std::size_t i = 0; i < kGiftCardSymbols; ++i) {
    if (i > 0 && i % kGroup == 0) code.push_back('-');
    // Uniform over the alphabet (no modulo bias).
    code.push_back(kGiftCardAlphabet[randombytes_uniform(kGiftCardAlphabet.size())]);
  }
  return code;
}

std::string maskGiftCardCode(std::string_view code) {
  if (code.size() <= kShown) return std::string(code.size(), '*');
  std::string masked(code.size() - kShown, '*');
  masked.append(code.substr(code.size() - kShown));
  return masked;
}

}  // namespace emporium::payments
