#pragma once
// An order as the domain sees it, its state machine and its pricing rules:
// plain values and pure functions, no storage or transport types.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/postal_address.hpp"

namespace emporium::orders {

enum class OrderStatus : std::uint8_t {
  kPending,    // placed; the checkout saga has not finished
  kConfirmed,  // paid (or cash on delivery); stock held for it
  kShipped,
  kDelivered,
  kCancelled,
  kRefunded,
  /// Internal: a checkout refused (declined, no stock, bad payment details,
  /// provider down, interrupted). Kept for the shop owner (admin list with
  /// ?status=failed); never in the buyer's history, never announced by mail.
  kFailed,
};

std::string_view statusName(OrderStatus status);
std::optional<OrderStatus> parseStatus(std::string_view name);

/// The one transition table every status change goes through: the states a
/// change to `to` may start from. The store puts exactly these in the WHERE
/// clause of the write that applies the change, so the check and the write
/// cannot be separated by a concurrent change.
///   pending -> confirmed | failed | cancelled  (the saga's outcome)
///   confirmed -> shipped | cancelled | refunded
///   shipped -> delivered | refunded
///   delivered -> refunded
/// Everything else (e.g. cancelling a shipped order, refunding twice) is
/// refused with 409 naming the current status.
std::span<const OrderStatus> allowedFrom(OrderStatus to);
bool canTransition(OrderStatus from, OrderStatus to);

/// Whether the buyer sees the order (history, detail, cancel): a failed
/// checkout is not an order to them.
bool visibleToBuyer(OrderStatus status);

/// What a status change still owes other services. Written in the same
/// transaction as the change, done right after it, cleared when done; the
/// recovery sweeper finishes whatever a crash left owing.
enum class StockEffect : std::uint8_t { kNone, kRelease, kFulfil };
enum class PaymentEffect : std::uint8_t { kNone, kRefund, kCollect };

std::string_view stockEffectName(StockEffect effect);
StockEffect parseStockEffect(std::string_view name);
std::string_view paymentEffectName(PaymentEffect effect);
PaymentEffect parsePaymentEffect(std::string_view name);

/// The same type, and the same rule (util::checkPostalAddress), as an
/// address saved to an account.
using ShippingAddress = util::PostalAddress;

struct OrderLine {
  std::string sku;
  std::int64_t product_id = 0;
  std::string title;
  std::int64_t quantity = 0;
  std::int64_t unit_price = 0;  // minor units, as priced at checkout
  std::int64_t line_total = 0;
  std::int64_t refunded_quantity = 0;  // units refunded by line so far
};

/// A line of a refund: `returned` units went back into stock.
struct RefundLine {
  std::string sku;
  std::int64_t quantity = 0;
  bool returned = false;
};

/// One refund of an order (an admin's, or one made at the card provider).
struct Refund {
  std::string id;
  std::int64_t amount = 0;  // minor units, > 0
  std::vector<RefundLine> lines;
  std::string reason;
  std::string by;  // the admin's user id, or "provider"
  std::string at;
  /// The money went back and returned lines are in stock (owed until then).
  bool settled = false;
};

struct Totals {
  std::int64_t subtotal = 0;
  std::int64_t shipping = 0;
  std::int64_t tax = 0;
  std::int64_t total = 0;
};

struct TimelineEntry {
  OrderStatus status = OrderStatus::kPending;
  std::string at;
  std::string note;
};

struct Order {
  std::string id;
  std::string number;
  std::string user_id;
  OrderStatus status = OrderStatus::kPending;
  std::string currency;
  Totals totals;
  std::string payment_method;  // "card" | "gift_card" | "cod"
  /// "pending" | "captured" | "declined" | "failed" | "not_charged" | "voided" |
  /// "refunded" | "partially_refunded"
  std::string payment_status;
  std::string payment_id;  // the payments service's id ("" before a charge)
  std::string cart_id;
  ShippingAddress shipping_address;
  std::optional<std::string> carrier;
  std::optional<std::string> tracking_number;
  StockEffect stock_effect = StockEffect::kNone;
  PaymentEffect payment_effect = PaymentEffect::kNone;
  bool empty_cart = false;          // owed: take the ordered lines out of the cart
  bool refund_effect = false;       // owed: a refund in `refunds` is not settled yet
  std::int64_t refunded_total = 0;  // all refunds together, at most totals.total
  std::string created_at;
  std::string updated_at;
  std::int64_t item_count = 0;  // units over all lines (set on lists as well)
  std::vector<OrderLine> lines;
  std::vector<TimelineEntry> timeline;
  std::vector<Refund> refunds;  // oldest first (detail reads only)
};

/// Shipping and tax rules, from configuration ([orders] in the config file).
struct PricingRules {
  std::int64_t flat_shipping = 499;        // minor units per order
  std::int64_t free_shipping_from = 5000;  // subtotal at which shipping is free; 0: never free
  std::int64_t tax_basis_points = 0;       // on the subtotal, 1 bp = 0.01 %
};

/// Line totals and order totals. Tax rounds half up to the minor unit.
/// Throws std::overflow_error when an amount would not fit in 64 bits.
Totals priceOrder(std::span<OrderLine> lines, const PricingRules& rules);

/// What refunding these lines gives back, when no amount is named: their
/// price times quantity plus their share of the tax (charged on the
/// subtotal, so owed back with the goods), rounded half up. Shipping is not
/// included: it was performed, and a refund of the whole order (or one by
/// amount) is how it is paid back. Throws std::overflow_error.
std::int64_t refundValueOfLines(const Order& order, std::span<const RefundLine> lines);

/// "EM-261126-7KQ4X9": the date a buyer recognises plus six random Crockford
/// base32 characters (30 bits); uniqueness is enforced by the store, which
/// draws again on a clash.
std::string newOrderNumber();

}  // namespace emporium::orders
