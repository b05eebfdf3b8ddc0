#pragma once
// Checkout step "take payment": the charge an order asks of the payments
// service, and what each outcome of it means for the checkout (go on, or end
// the order `failed` with which refusal, owing what).

#include <optional>
#include <string>

#include "services/orders/checkout/refusal.hpp"
#include "services/orders/checkout/request.hpp"
#include "services/orders/domain/order.hpp"
#include "services/orders/storage/order_store.hpp"
#include "services/payments/client.hpp"

namespace emporium::orders::checkout {

/// The charge for a pending order: its total, keyed by the order id (one
/// payment per order, so a retried step never pays twice), paid by the user
/// or, for a guest, the cart.
payments::ChargeRequest chargeFor(const Order& order, const CheckoutRequest& request);

/// The order's payment_status once the charge answered `outcome`.
std::string paymentStatusAfter(payments::ChargeOutcome outcome);

struct ChargeVerdict {
  /// Ends the order `failed`: stock released, the payment's status and id,
  /// and a refund owed when the provider may have taken money. Also the base
  /// of a later failure (the stock hold expired after a successful charge).
  Transition failed;
  /// Empty when the charge went through (captured, or cash on delivery).
  std::optional<CheckoutRefusal> refusal;
  /// Whether the refusal is kept as the Idempotency-Key's answer. Not for
  /// outcomes a retry of the same request may change (throttling, provider down).
  bool keep_key = true;
};

ChargeVerdict afterCharge(const payments::ChargeResult& charged, payments::Method method);

}  // namespace emporium::orders::checkout
