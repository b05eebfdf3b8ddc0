#pragma once
// Checkout's last step, "confirm the order": the one conditional change from
// `pending` to `confirmed` (owing the cart's emptying), and the order as that
// change will leave it, which the stored 201 for the Idempotency-Key must
// describe. Used by the checkout and by the sweeper finishing an interrupted one.

#include <optional>
#include <string>

#include "services/orders/domain/order.hpp"
#include "services/orders/storage/order_store.hpp"
#include "services/payments/client.hpp"

namespace emporium::orders::checkout {

struct Confirmation {
  /// pending -> confirmed with the payment's status and id, the cart's
  /// emptying owed, and the key linked when there is one. Its `response` is
  /// the caller's to set (rendered from `expected`).
  Transition change;
  /// The order as `change` leaves it (updated_at is `now`, the store's
  /// timestamp differs by microseconds at most).
  Order expected;
};

/// The confirmation of a pending order paid as payment_status/payment_id.
Confirmation confirmationOf(const Order& pending, std::string note, std::string payment_status,
                            std::optional<std::string> payment_id,
                            std::optional<IdempotencyRef> key, const std::string& now);

/// The confirmation after checkout's own charge went through (captured, or
/// cash on delivery to collect).
Confirmation confirmationAfterCharge(const Order& pending, const payments::ChargeResult& charged,
                                     const IdempotencyRef& key, const std::string& now);

}  // namespace emporium::orders::checkout
