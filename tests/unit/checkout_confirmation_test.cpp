// Checkout's confirmation: the pending -> confirmed change, and the order as
// that change leaves it (the stored 201 of the Idempotency-Key renders it, so
// the two must agree).

#include <gtest/gtest.h>

#include "services/orders/checkout/confirmation.hpp"

namespace emporium::orders::checkout {
namespace {

Order pending() {
  Order order;
  order.id = "ord_1";
  order.status = OrderStatus::kPending;
  order.payment_status = "pending";
  order.lines = {{"A-1", 7, "Lamp", 2, 1000, 2000}, {"B-2", 8, "Desk", 3, 500, 1500}};
  order.timeline = {{OrderStatus::kPending, "2026-12-07T10:00:00.000000Z", "placed"}};
  return order;
}

TEST(CheckoutConfirmation, TheExpectedOrderIsWhatTheChangeWrites) {
  payments::ChargeResult charged;
  charged.outcome = payments::ChargeOutcome::kCaptured;
  charged.payment = payments::Payment{};
  charged.payment->id = "pay_1";
  const IdempotencyRef key{"usr_1", "k"};
  const auto c = confirmationAfterCharge(pending(), charged, key, "2026-12-07T10:00:01.000000Z");
  EXPECT_EQ(c.change.to, OrderStatus::kConfirmed);
  EXPECT_EQ(c.change.note, "payment captured");
  EXPECT_EQ(c.change.payment_status, "captured");
  EXPECT_EQ(c.change.payment_id, "pay_1");
  EXPECT_TRUE(c.change.empty_cart) << "the cart's emptying is owed with the confirmation";
  ASSERT_TRUE(c.change.idempotency);
  EXPECT_EQ(c.change.idempotency->key, "k");
  EXPECT_FALSE(c.change.response) << "the caller renders it";

  EXPECT_EQ(c.expected.status, OrderStatus::kConfirmed);
  EXPECT_EQ(c.expected.payment_status, "captured");
  EXPECT_EQ(c.expected.payment_id, "pay_1");
  EXPECT_EQ(c.expected.item_count, 5);
  EXPECT_EQ(c.expected.updated_at, "2026-12-07T10:00:01.000000Z");
  ASSERT_EQ(c.expected.timeline.size(), 2U);
  EXPECT_EQ(c.expected.timeline[1].status, OrderStatus::kConfirmed);
  EXPECT_EQ(c.expected.timeline[1].at, "2026-12-07T10:00:01.000000Z");
  EXPECT_EQ(c.expected.timeline[1].note, "payment captured");
}

TEST(CheckoutConfirmation, CashOnDeliveryStaysPendingWithoutAPaymentId) {
  payments::ChargeResult charged;
  charged.outcome = payments::ChargeOutcome::kPending;
  const auto c = confirmationAfterCharge(pending(), charged, {"usr_1", "k"}, "t");
  EXPECT_EQ(c.change.note, "cash on delivery");
  EXPECT_EQ(c.change.payment_status, "pending");
  EXPECT_FALSE(c.change.payment_id);
  EXPECT_EQ(c.expected.payment_id, "");
}

// The sweeper finishing a checkout a crash left, for an order no key is
// linked to: the change links none (and stores no response).
TEST(CheckoutConfirmation, AResumedCheckoutWithoutAKeyLinksNone) {
  const auto c = confirmationOf(pending(), "completed after an interruption", "captured", "pay_1",
                                std::nullopt, "t");
  EXPECT_FALSE(c.change.idempotency);
  EXPECT_TRUE(c.change.empty_cart);
  EXPECT_EQ(c.expected.timeline.back().note, "completed after an interruption");
}

}  // namespace
}  // namespace emporium::orders::checkout
