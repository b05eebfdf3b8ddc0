#include "services/orders/domain/order.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace emporium::orders {
namespace {

constexpr std::array<std::string_view, 7> kStatusNames = {
    "pending", "confirmed", "shipped", "delivered", "cancelled", "refunded", "failed"};

using S = OrderStatus;
constexpr std::array<S, 0> kFromNowhere{};
constexpr std::array kFromPending{S::kPending};
constexpr std::array kFromConfirmed{S::kConfirmed};
constexpr std::array kFromShipped{S::kShipped};
constexpr std::array kCancellable{S::kPending, S::kConfirmed};
constexpr std::array kRefundable{S::kConfirmed, S::kShipped, S::kDelivered};

std::int64_t checkedAdd(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) throw std::overflow_error("order amount overflows");
  return out;
}

std::int64_t checkedMul(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) throw std::overflow_error("order amount overflows");
  return out;
}

}  // namespace

std::string_view statusName(OrderStatus status) {
  return kStatusNames.at(static_cast<std::size_t>(status));
}

std::optional<OrderStatus> parseStatus(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<OrderStatus>(i);
  }
  return std::nullopt;
}

std::span<const OrderStatus> allowedFrom(OrderStatus to) {
  switch (to) {
    case S::kConfirmed:
    case S::kFailed:
      return kFromPending;
    case S::kShipped:
      return kFromConfirmed;
    case S::kDelivered:
      return kFromShipped;
    case S::kCancelled:
      return kCancellable;
    case S::kRefunded:
      return kRefundable;
    case S::kPending:  // only ever the first status
      break;
  }
  return kFromNowhere;
}

bool canTransition(OrderStatus from, OrderStatus to) {
  const auto allowed = allowedFrom(to);
  return std::find(allowed.begin(), allowed.end(), from) != allowed.end();
}

bool visibleToBuyer(OrderStatus status) { return status != S::kFailed; }

std::string_view stockEffectName(StockEffect effect) {
  switch (effect) {
    case StockEffect::kRelease:
      return "release";
    case StockEffect::kFulfil:
      return "fulfil";
    case StockEffect::kNone:
      break;
  }
  return "";
}

StockEffect parseStockEffect(std::string_view name) {
  if (name == "release") return StockEffect::kRelease;
  if (name == "fulfil") return StockEffect::kFulfil;
  return StockEffect::kNone;
}

std::string_view paymentEffectName(PaymentEffect effect) {
  switch (effect) {
    case PaymentEffect::kRefund:
      return "refund";
    case PaymentEffect::kCollect:
      return "collect";
    case PaymentEffect::kNone:
      break;
  }
  return "";
}

PaymentEffect parsePaymentEffect(std::string_view name) {
  if (name == "refund") return PaymentEffect::kRefund;
  if (name == "collect") return PaymentEffect::kCollect;
  return PaymentEffect::kNone;
}

Totals priceOrder(std::span<OrderLine> lines, const PricingRules& rules) {
  Totals totals;
  for (auto& line : lines) {
    line.line_total = checkedMul(line.unit_price, line.quantity);
    totals.subtotal = checkedAdd(totals.subtotal, line.line_total);
  }
  const bool free_shipping =
      rules.free_shipping_from > 0 && totals.subtotal >= rules.free_shipping_from;
  totals.shipping = (lines.empty() || free_shipping) ? 0 : rules.flat_shipping;
  // Half up: (subtotal * bp + 5000) / 10000, in integers (money is never a float).
  totals.tax = checkedAdd(checkedMul(totals.subtotal, rules.tax_basis_points), 5000) / 10000;
  totals.total = checkedAdd(checkedAdd(totals.subtotal, totals.shipping), totals.tax);
  return totals;
}

std::int64_t refundValueOfLines(const Order& order, std::span<const RefundLine> lines) {
  std::int64_t value = 0;
  for (const auto& refund_line : lines) {
    for (const auto& line : order.lines) {
      if (line.sku != refund_line.sku) continue;
      value = checkedAdd(value, checkedMul(line.unit_price, refund_line.quantity));
      break;
    }
  }
  if (order.totals.subtotal <= 0 || order.totals.tax <= 0) return value;
  // value * tax / subtotal, half up, in integers (money is never a float).
  // In 128 bits: value * tax can exceed 64 bits on large but valid orders,
  // while the share itself is never above the order's tax.
  __extension__ typedef __int128 Wide;  // NOLINT(modernize-use-using): __extension__ needs typedef
  const Wide share = (static_cast<Wide>(value) * order.totals.tax + order.totals.subtotal / 2) /
                     order.totals.subtotal;
  if (share > std::numeric_limits<std::int64_t>::max()) throw std::overflow_error("tax share");
  const auto tax_share = static_cast<std::int64_t>(share);
  return checkedAdd(value, tax_share);
}

std::string newOrderNumber() {
  static constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 16> date{};
  std::strftime(date.data(), date.size(), "%y%m%d", &utc);
  std::string number = "EM-";
  number += date.data();
  number += '-';
  std::uint32_t bits = randombytes_random();
  for (int i = 0; i < 6; ++i) {
    number += kCrockford[bits & 31U];
    bits >>= 5U;
  }
  return number;
}

}  // namespace emporium::orders
