#pragma once
// Why a checkout was refused, as plain data: the checkout units decide,
// orders/http/checkout_problems.cpp turns it into the problem document the
// buyer gets (and a replay of the Idempotency-Key gets again).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace emporium::orders::checkout {

struct CheckoutRefusal {
  enum Kind {
    // Before an order exists: the key is forgotten, the buyer fixes and retries.
    kUnavailableItems,  // `skus` are no longer sold -> 409
    kMixedCurrency,     // -> 422 cart_id
    kNoSuchCart,        // -> 422 cart_id
    kEmptyCart,         // -> 422 cart_id
    kNoSuchAddress,     // -> 422 address_id
    kTooLarge,          // the total overflows -> 422 cart_id
    // After the order was created: it ends `failed`.
    kInsufficientStock,    // `skus` short -> 409
    kDeclined,             // `detail`: the provider's words, if any -> 402
    kInsufficientFunds,    // `detail` as kDeclined -> 402
    kPaymentInvalid,       // `field` (payment.token or payment.code), `detail` -> 422
    kThrottled,            // too many wrong gift-card codes: `detail`, `retry_after` -> 429
    kProviderUnavailable,  // -> 503, Retry-After
    kHoldExpired,          // the stock hold ran out while paying; refunded -> 409
    kInterrupted,          // the sweeper ended the checkout first -> 409
    // About the Idempotency-Key itself.
    kKeyMismatch,  // used before with another body -> 422 Idempotency-Key
    kInProgress,   // another request with the key is still running -> 409, Retry-After
  };
  Kind kind = kInterrupted;
  std::vector<std::string> skus;
  std::string field;
  std::string detail;
  std::chrono::seconds retry_after{};

  static CheckoutRefusal of(Kind kind) { return CheckoutRefusal{kind, {}, {}, {}, {}}; }
  static CheckoutRefusal withSkus(Kind kind, std::vector<std::string> skus) {
    return CheckoutRefusal{kind, std::move(skus), {}, {}, {}};
  }
};

/// "A-1, B-2": SKUs as a refusal's detail and an order's timeline name them.
inline std::string listed(const std::vector<std::string>& skus) {
  std::string out;
  for (const auto& sku : skus) {
    if (!out.empty()) out += ", ";
    out += sku;
  }
  return out;
}

}  // namespace emporium::orders::checkout
