// Checkout's payment unit: the charge an order asks for, and the one verdict
// each charge outcome gives (go on, or end `failed` with which refusal,
// owing what, and whether a replay of the key answers the same).

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "core/http/api_error.hpp"
#include "services/orders/checkout/payment.hpp"
#include "services/orders/http/problems.hpp"

namespace emporium::orders::checkout {
namespace {

using Outcome = payments::ChargeOutcome;

payments::ChargeResult result(Outcome outcome, std::string detail = {}) {
  payments::ChargeResult r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  return r;
}

TEST(CheckoutPayment, ChargeIsKeyedByTheOrderAndNamesThePayer) {
  Order order;
  order.id = "ord_1";
  order.currency = "EUR";
  order.totals.total = 2499;
  CheckoutRequest request;
  request.user_id = "usr_1";
  request.cart_id = "cart_1";
  request.method = payments::Method::kGiftCard;
  request.gift_card_code = "GIFT-1";
  request.client_address = "10.0.0.1";
  auto charge = chargeFor(order, request);
  EXPECT_EQ(charge.order_id, "ord_1");
  EXPECT_EQ(charge.idempotency_key, "ord_1");
  EXPECT_EQ(charge.amount, 2499);
  EXPECT_EQ(charge.currency, "EUR");
  EXPECT_EQ(charge.method, payments::Method::kGiftCard);
  EXPECT_EQ(charge.gift_card_code, "GIFT-1");
  EXPECT_EQ(charge.payer, "user:usr_1");
  EXPECT_EQ(charge.client_address, "10.0.0.1");
  request.user_id.clear();  // a guest pays as its cart
  EXPECT_EQ(chargeFor(order, request).payer, "cart:cart_1");
}

TEST(CheckoutPayment, EveryOutcomeMapsToOneVerdict) {
  struct Row {
    Outcome outcome;
    std::optional<CheckoutRefusal::Kind> refusal;
    const char* payment_status;
    bool keep_key;
    PaymentEffect payment_effect;
    int http_status;  // of the refusal's problem; 0 when none
  };
  const std::vector<Row> rows{
      {Outcome::kCaptured, std::nullopt, "captured", true, PaymentEffect::kNone, 0},
      {Outcome::kPending, std::nullopt, "pending", true, PaymentEffect::kNone, 0},
      {Outcome::kDeclined, CheckoutRefusal::kDeclined, "declined", true, PaymentEffect::kNone, 402},
      {Outcome::kInsufficientFunds, CheckoutRefusal::kInsufficientFunds, "declined", true,
       PaymentEffect::kNone, 402},
      {Outcome::kInvalid, CheckoutRefusal::kPaymentInvalid, "declined", true, PaymentEffect::kNone,
       422},
      {Outcome::kThrottled, CheckoutRefusal::kThrottled, "not_charged", false, PaymentEffect::kNone,
       429},
      {Outcome::kUnavailable, CheckoutRefusal::kProviderUnavailable, "failed", false,
       PaymentEffect::kRefund, 503},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.outcome));
    const auto verdict = afterCharge(result(row.outcome), payments::Method::kCard);
    ASSERT_EQ(verdict.refusal.has_value(), row.refusal.has_value());
    if (row.refusal) {
      EXPECT_EQ(verdict.refusal->kind, *row.refusal);
      EXPECT_EQ(toProblem(*verdict.refusal).status(), row.http_status);
      EXPECT_FALSE(verdict.failed.note.empty());
    }
    EXPECT_EQ(verdict.failed.to, OrderStatus::kFailed);
    EXPECT_EQ(verdict.failed.stock_effect, StockEffect::kRelease);
    EXPECT_EQ(verdict.failed.payment_status, row.payment_status);
    EXPECT_EQ(verdict.failed.payment_effect, row.payment_effect);
    EXPECT_EQ(verdict.keep_key, row.keep_key);
  }
}

// The provider may have taken the money before the line went quiet: the
// failed order owes a refund, and the key is forgotten so that the same
// request may be tried again once the provider is back.
TEST(CheckoutPayment, UnavailableOwesARefundAndForgetsTheKey) {
  auto charged = result(Outcome::kUnavailable, "connect timeout");
  charged.payment = payments::Payment{};
  charged.payment->id = "pay_1";
  const auto verdict = afterCharge(charged, payments::Method::kCard);
  ASSERT_TRUE(verdict.refusal);
  EXPECT_EQ(verdict.failed.payment_effect, PaymentEffect::kRefund);
  EXPECT_EQ(verdict.failed.payment_id, "pay_1");
  EXPECT_EQ(verdict.failed.note, "payment provider unavailable");
  EXPECT_FALSE(verdict.keep_key);
  const auto problem = toProblem(*verdict.refusal);
  EXPECT_EQ(problem.slug(), "payment-provider-unavailable");
  // The provider's own words are not shown: the detail is the shop's.
  EXPECT_EQ(problem.detail().find("connect timeout"), std::string::npos);
  // The orders service is up: a caller's breaker for it must not count this.
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(problem.headers(),
            (Headers{{"Retry-After", "5"},
                     {std::string(http::kUnavailableDependencyHeader), "payment-provider"}}));
}

TEST(CheckoutPayment, ThrottledIsNotReplayed) {
  auto charged = result(Outcome::kThrottled, "too many wrong gift card codes");
  charged.retry_after = std::chrono::seconds(90);
  const auto verdict = afterCharge(charged, payments::Method::kGiftCard);
  ASSERT_TRUE(verdict.refusal);
  EXPECT_FALSE(verdict.keep_key);
  EXPECT_EQ(verdict.failed.payment_effect, PaymentEffect::kNone);
  const auto problem = toProblem(*verdict.refusal);
  EXPECT_EQ(problem.status(), 429);
  EXPECT_EQ(problem.detail(), "too many wrong gift card codes; retry in 90 s");
  ASSERT_EQ(problem.headers().size(), 1U);
  EXPECT_EQ(problem.headers()[0].second, "90");
}

TEST(CheckoutPayment, AnUnusablePaymentNamesItsField) {
  const auto card = afterCharge(result(Outcome::kInvalid), payments::Method::kCard);
  ASSERT_TRUE(card.refusal);
  auto problem = toProblem(*card.refusal);
  ASSERT_EQ(problem.errors().size(), 1U);
  EXPECT_EQ(problem.errors()[0].field, "payment.token");
  EXPECT_EQ(problem.errors()[0].message,
            "is not usable; check it or pay another way (your cart is unchanged)");
  const auto gift =
      afterCharge(result(Outcome::kInvalid, "no such gift card"), payments::Method::kGiftCard);
  ASSERT_TRUE(gift.refusal);
  problem = toProblem(*gift.refusal);
  ASSERT_EQ(problem.errors().size(), 1U);
  EXPECT_EQ(problem.errors()[0].field, "payment.code");
  EXPECT_EQ(problem.errors()[0].message,
            "no such gift card; check it or pay another way (your cart is unchanged)");
}

TEST(CheckoutPayment, ADeclineKeepsTheProvidersWordsOrSaysWhich) {
  const auto declined = afterCharge(result(Outcome::kDeclined), payments::Method::kCard);
  ASSERT_TRUE(declined.refusal);
  EXPECT_EQ(toProblem(*declined.refusal).detail(),
            "the payment was declined. Nothing was charged and your cart is unchanged: try "
            "another card or another payment method");
  const auto funds = afterCharge(result(Outcome::kInsufficientFunds, "card limit reached"),
                                 payments::Method::kCard);
  ASSERT_TRUE(funds.refusal);
  const auto problem = toProblem(*funds.refusal);
  EXPECT_EQ(problem.slug(), "insufficient-funds");
  EXPECT_EQ(problem.title(), "Payment declined");
  EXPECT_EQ(problem.detail(),
            "card limit reached. Nothing was charged and your cart is unchanged: try another card "
            "or another payment method");
}

}  // namespace
}  // namespace emporium::orders::checkout
