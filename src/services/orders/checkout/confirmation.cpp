#include "services/orders/checkout/confirmation.hpp"

#include <utility>

#include "services/orders/checkout/payment.hpp"

namespace emporium::orders::checkout {

Confirmation confirmationOf(const Order& pending, std::string note, std::string payment_status,
                            std::optional<std::string> payment_id,
                            std::optional<IdempotencyRef> key, const std::string& now) {
  Confirmation out;
  auto& change = out.change;
  change.to = OrderStatus::kConfirmed;
  change.note = std::move(note);
  change.payment_status = std::move(payment_status);
  change.payment_id = std::move(payment_id);
  // Owed with the confirmation, so a crash before the cart is emptied leaves
  // the sweeper to empty it.
  change.empty_cart = true;
  change.idempotency = std::move(key);

  auto& expected = out.expected;
  expected = pending;
  expected.status = OrderStatus::kConfirmed;
  expected.payment_status = *change.payment_status;
  expected.payment_id = change.payment_id.value_or("");
  expected.updated_at = now;
  expected.item_count = 0;
  for (const auto& line : pending.lines) expected.item_count += line.quantity;
  expected.timeline.push_back(TimelineEntry{OrderStatus::kConfirmed, now, change.note});
  return out;
}

Confirmation confirmationAfterCharge(const Order& pending, const payments::ChargeResult& charged,
                                     const IdempotencyRef& key, const std::string& now) {
  std::optional<std::string> payment_id;
  if (charged.payment) payment_id = charged.payment->id;
  return confirmationOf(pending,
                        charged.outcome == payments::ChargeOutcome::kPending ? "cash on delivery"
                                                                             : "payment captured",
                        paymentStatusAfter(charged.outcome), std::move(payment_id), key, now);
}

}  // namespace emporium::orders::checkout
