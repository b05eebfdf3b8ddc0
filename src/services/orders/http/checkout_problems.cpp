// A refused checkout as the problem document the buyer gets. These bytes are
// also stored as the Idempotency-Key's answer and replayed as they are, so the
// titles, types and details here are part of the contract.

#include <string>
#include <vector>

#include "core/http/request.hpp"
#include "core/json/writer.hpp"
#include "services/orders/http/problems.hpp"

namespace emporium::orders {
namespace {

std::string skuArray(const std::vector<std::string>& skus) {
  json::Writer w;
  w.startArray();
  for (const auto& sku : skus) w.value(sku);
  w.endArray();
  return "\"skus\":" + w.str();
}

http::ApiError withSkus(http::ApiError problem, const std::vector<std::string>& skus) {
  problem.extensionMembers() = skuArray(skus);
  return problem;
}

http::ApiError withRetryAfter(http::ApiError problem, std::string seconds) {
  problem.headers().emplace_back("Retry-After", std::move(seconds));
  return problem;
}

}  // namespace

http::ApiError toProblem(const checkout::CheckoutRefusal& refusal) {
  using R = checkout::CheckoutRefusal;
  switch (refusal.kind) {
    case R::kUnavailableItems:
      return withSkus({409, "items-unavailable", "Items no longer sold",
                       "these items are no longer sold: " + checkout::listed(refusal.skus) +
                           "; remove them from the cart"},
                      refusal.skus);
    case R::kMixedCurrency:
      return http::ApiError::validation(
          "cart_id", "the cart mixes currencies; check out each currency separately");
    case R::kNoSuchCart:
      return http::ApiError::validation("cart_id", "no such cart");
    case R::kEmptyCart:
      return http::ApiError::validation("cart_id", "the cart is empty");
    case R::kNoSuchAddress:
      return http::ApiError::validation("address_id", "no such address");
    case R::kTooLarge:
      return http::ApiError::validation("cart_id", "the order total is too large");
    case R::kInsufficientStock:
      return withSkus({409, "insufficient-stock", "Insufficient stock",
                       "not enough stock for: " + checkout::listed(refusal.skus) +
                           ". Nothing was charged and your cart is unchanged: lower the quantity "
                           "of these items or remove them, then check out again"},
                      refusal.skus);
    case R::kDeclined:
    case R::kInsufficientFunds: {
      const bool funds = refusal.kind == R::kInsufficientFunds;
      std::string detail = refusal.detail.empty() ? std::string(funds ? "insufficient funds"
                                                                      : "the payment was declined")
                                                  : refusal.detail;
      detail +=
          ". Nothing was charged and your cart is unchanged: try another card or another payment "
          "method";
      return {402, funds ? "insufficient-funds" : "payment-declined", "Payment declined", detail};
    }
    case R::kPaymentInvalid:
      return http::ApiError::validation(
          refusal.field, (refusal.detail.empty() ? std::string("is not usable") : refusal.detail) +
                             "; check it or pay another way (your cart is unchanged)");
    case R::kThrottled:
      return http::ApiError::tooManyRequests(refusal.retry_after, refusal.detail);
    case R::kProviderUnavailable: {
      auto problem = withRetryAfter(
          {503, "payment-provider-unavailable", "Payment provider unavailable",
           "the card payment provider cannot be reached; nothing was charged, no stock is held "
           "and your cart is unchanged. Retry shortly, or pay another way"},
          "5");
      problem.headers().emplace_back(std::string(http::kUnavailableDependencyHeader),
                                     "payment-provider");
      return problem;
    }
    case R::kHoldExpired:
      return {409, "insufficient-stock", "Insufficient stock",
              "the stock held for this order was released before payment finished; the payment "
              "is refunded and your cart is unchanged. Check out again"};
    case R::kInterrupted:
      break;
    case R::kKeyMismatch:
      return http::ApiError::validation("Idempotency-Key",
                                        "was already used with a different request body");
    case R::kInProgress:
      return withRetryAfter({409, "request-in-progress", "Request in progress",
                             "a request with this Idempotency-Key is still being processed; retry "
                             "shortly to get its outcome"},
                            "1");
  }
  return {409, "checkout-interrupted", "Checkout interrupted",
          "the checkout was interrupted: nothing was charged (or it was refunded), no stock is "
          "held and your cart is unchanged. Place the order again"};
}

}  // namespace emporium::orders
