// The orders service's typed refusals rendered as problem documents: the
// bytes the routes sent when the service threw http::ApiError itself.

#include <gtest/gtest.h>

#include "core/http/api_error.hpp"
#include "services/orders/http/problems.hpp"

namespace emporium::orders {
namespace {

std::string body(const http::ApiError& problem) {
  return http::problemResponse(problem, "/api/v1/admin/orders/ord_1/refund", "req_1").body;
}

TEST(OrderProblems, StatusRefusalNamesTheCurrentStatus) {
  const auto problem =
      toProblem(OrderError::status(OrderStatus::kRefunded, OrderStatus::kRefunded));
  EXPECT_EQ(problem.status(), 409);
  EXPECT_EQ(body(problem),
            R"j({"type":"https://emporium.dev/problems/invalid-transition",)j"
            R"j("title":"Not allowed in this state","status":409,)j"
            R"j("detail":"the order is refunded; it cannot be refunded",)j"
            R"j("instance":"/api/v1/admin/orders/ord_1/refund","request_id":"req_1",)j"
            R"j("order_status":"refunded"})j");
}

TEST(OrderProblems, InvalidNamesEveryFieldInOrder) {
  const auto problem = toProblem(OrderError::invalid(
      {{"amount", "is more than what is left to refund (0 of 2499)"}, {"lines", "too large"}}));
  EXPECT_EQ(
      body(problem),
      R"j({"type":"https://emporium.dev/problems/validation-error","title":"Invalid input",)j"
      R"j("status":422,"detail":"invalid input: amount: is more than what is left to refund )j"
      R"j((0 of 2499); lines: too large","instance":"/api/v1/admin/orders/ord_1/refund",)j"
      R"j("request_id":"req_1","errors":[{"field":"amount","message":"is more than what is )j"
      R"j(left to refund (0 of 2499)"},{"field":"lines","message":"too large"}]})j");
}

TEST(OrderProblems, NotFoundAndContendedKeepTheirTypes) {
  const auto missing = toProblem(OrderError::notFound("ord_9"));
  EXPECT_EQ(missing.status(), 404);
  EXPECT_EQ(missing.slug(), "not-found");
  EXPECT_EQ(missing.detail(), "no order ord_9");
  const auto contended = toProblem(OrderError::inProgress("retry"));
  EXPECT_EQ(contended.status(), 409);
  EXPECT_EQ(contended.slug(), "refund-contended");
  EXPECT_EQ(contended.title(), "Refund contended");
}

// Refused checkouts: the bytes stored for replays of the Idempotency-Key, as
// place() wrote them before the refusals were typed.
TEST(CheckoutProblems, StockRefusalsKeepTheirBytes) {
  using checkout::CheckoutRefusal;
  const auto short_stock = toProblem(
      CheckoutRefusal::withSkus(CheckoutRefusal::kInsufficientStock, {"LAMP-1", "DESK-2"}));
  EXPECT_EQ(
      http::problemResponse(short_stock, "/api/v1/orders", "req_1").body,
      R"j({"type":"https://emporium.dev/problems/insufficient-stock",)j"
      R"j("title":"Insufficient stock","status":409,"detail":"not enough stock for: LAMP-1, )j"
      R"j(DESK-2. Nothing was charged and your cart is unchanged: lower the quantity of )j"
      R"j(these items or remove them, then check out again","instance":"/api/v1/orders",)j"
      R"j("request_id":"req_1","skus":["LAMP-1","DESK-2"]})j");
  const auto expired = toProblem(CheckoutRefusal::of(CheckoutRefusal::kHoldExpired));
  EXPECT_EQ(expired.slug(), "insufficient-stock");
  EXPECT_EQ(expired.detail(),
            "the stock held for this order was released before payment finished; the payment is "
            "refunded and your cart is unchanged. Check out again");
  EXPECT_TRUE(expired.extensionMembers().empty());
}

TEST(CheckoutProblems, KeyAndInterruptionRefusalsKeepTheirBytes) {
  using checkout::CheckoutRefusal;
  const auto interrupted = toProblem(CheckoutRefusal::of(CheckoutRefusal::kInterrupted));
  EXPECT_EQ(http::problemResponse(interrupted, "/api/v1/orders", "").body,
            R"j({"type":"https://emporium.dev/problems/checkout-interrupted",)j"
            R"j("title":"Checkout interrupted","status":409,"detail":"the checkout was )j"
            R"j(interrupted: nothing was charged (or it was refunded), no stock is held and your )j"
            R"j(cart is unchanged. Place the order again","instance":"/api/v1/orders"})j");
  const auto busy = toProblem(CheckoutRefusal::of(CheckoutRefusal::kInProgress));
  EXPECT_EQ(busy.status(), 409);
  EXPECT_EQ(busy.slug(), "request-in-progress");
  EXPECT_EQ(busy.title(), "Request in progress");
  ASSERT_EQ(busy.headers().size(), 1U);
  EXPECT_EQ(busy.headers()[0].first, "Retry-After");
  EXPECT_EQ(busy.headers()[0].second, "1");
  const auto mismatch = toProblem(CheckoutRefusal::of(CheckoutRefusal::kKeyMismatch));
  EXPECT_EQ(mismatch.status(), 422);
  ASSERT_EQ(mismatch.errors().size(), 1U);
  EXPECT_EQ(mismatch.errors()[0].field, "Idempotency-Key");
  EXPECT_EQ(mismatch.errors()[0].message, "was already used with a different request body");
  const auto no_cart = toProblem(CheckoutRefusal::of(CheckoutRefusal::kNoSuchCart));
  EXPECT_EQ(no_cart.detail(), "invalid input: cart_id: no such cart");
}

}  // namespace
}  // namespace emporium::orders
