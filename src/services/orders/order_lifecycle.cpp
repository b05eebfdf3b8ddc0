// OrderService after checkout: reads, the status transitions an admin or a
// buyer makes (cancel, ship, deliver), and refunds, whole or partial, made
// here or found at the card provider. Every change goes through the one
// transition table (domain/state_machine.hpp) in the store's conditional write.

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "core/util/ids.hpp"
#include "services/orders/order_saga_support.hpp"
#include "services/orders/order_service.hpp"

namespace emporium::orders {

namespace {

using Status = OrderStatus;
using Changed = util::Result<Order, OrderError>;

}  // namespace

std::optional<Order> OrderService::orderFor(const std::string& user_id,
                                            const std::string& order_id) {
  auto order = store_.find(order_id);
  if (!order || order->user_id != user_id || !visibleToBuyer(order->status)) return std::nullopt;
  return order;
}

Changed OrderService::applyTransition(const std::string& order_id, const Transition& change,
                                      std::span<const OrderStatus> only_from) {
  const auto after = store_.transition(order_id, change, only_from);
  if (!after) return util::Err{OrderError::notFound(order_id)};
  if (!after->applied) return util::Err{OrderError::status(after->order.status, change.to)};
  runEffects(after->order);
  return store_.find(order_id).value_or(after->order);
}

Changed OrderService::cancel(const std::string& order_id,
                             const std::optional<std::string>& user_id) {
  const auto current = user_id ? orderFor(*user_id, order_id) : store_.find(order_id);
  if (!current) return util::Err{OrderError::notFound(order_id)};
  Transition change;
  change.to = Status::kCancelled;
  change.note = user_id ? "cancelled by the buyer" : "cancelled by the shop";
  change.stock_effect = StockEffect::kRelease;
  change.payment_effect = PaymentEffect::kRefund;
  // pending -> cancelled belongs to the saga running the checkout: a cancel
  // from outside would race its payment.
  return applyTransition(order_id, change, std::array{Status::kConfirmed});
}

Changed OrderService::ship(const std::string& order_id, const std::string& carrier,
                           const std::string& tracking_number) {
  Transition change;
  change.to = Status::kShipped;
  change.note = "shipped with " + carrier;
  change.stock_effect = StockEffect::kFulfil;
  change.carrier = carrier;
  change.tracking_number = tracking_number;
  return applyTransition(order_id, change);
}

Changed OrderService::deliver(const std::string& order_id) {
  const auto current = store_.find(order_id);
  if (!current) return util::Err{OrderError::notFound(order_id)};
  Transition change;
  change.to = Status::kDelivered;
  change.note = "delivered";
  if (current->payment_method == "cod") change.payment_effect = PaymentEffect::kCollect;
  return applyTransition(order_id, change);
}

namespace {

const OrderLine* lineFor(const Order& order, const std::string& sku) {
  for (const auto& line : order.lines) {
    if (line.sku == sku) return &line;
  }
  return nullptr;
}

std::string refundNote(bool full, const std::string& reason) {
  std::string note = full ? "refunded" : "partially refunded";
  if (!reason.empty()) note += ": " + reason;
  return note;
}

}  // namespace

Changed OrderService::refund(const std::string& order_id, const RefundRequest& request) {
  const bool whole = !request.amount && request.lines.empty();
  // A whole-order refund takes what is left as read; a concurrent partial
  // refund in between makes the write refuse it, and it reads again.
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const auto current = store_.find(order_id);
    if (!current) return util::Err{OrderError::notFound(order_id)};
    if (!canTransition(current->status, Status::kRefunded))
      return util::Err{OrderError::status(current->status, Status::kRefunded)};
    const std::int64_t left = current->totals.total - current->refunded_total;

    std::vector<FieldProblem> errors;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < request.lines.size(); ++i) {
      const auto& line = request.lines[i];
      const std::string at = "lines[" + std::to_string(i) + "]";
      const OrderLine* bought = lineFor(*current, line.sku);
      if (bought == nullptr) {
        errors.push_back({at + ".sku", "is not in this order"});
        continue;
      }
      if (!seen.insert(line.sku).second) {
        errors.push_back({at + ".sku", "appears twice; give each SKU once"});
        continue;
      }
      const std::int64_t refundable = bought->quantity - bought->refunded_quantity;
      if (line.quantity > refundable) {
        errors.push_back({at + ".quantity", "is more than the " + std::to_string(refundable) +
                                                " unit(s) bought and not yet refunded"});
      }
      // Goods still in the warehouse are not returned: the reservation
      // still holds them (a whole refund of a confirmed order releases it).
      if (line.returned && current->status == Status::kConfirmed) {
        errors.push_back({at + ".returned", "the order has not shipped; nothing can come back"});
      }
    }
    if (!errors.empty()) return util::Err{OrderError::invalid(std::move(errors))};

    std::int64_t amount = left;
    if (!request.lines.empty()) {
      std::int64_t value = 0;
      try {
        value = refundValueOfLines(*current, request.lines);
      } catch (const std::overflow_error&) {
        return util::Err{OrderError::invalid("lines", "the refund is too large")};
      }
      if (request.amount && *request.amount > value) {
        // An amount with lines refunds those lines, for less if the shop
        // keeps something back (a restocking fee), never for more: more
        // would pay back something the lines do not name.
        return util::Err{OrderError::invalid(
            "amount", "is more than the lines are worth (" + std::to_string(value) + ")")};
      }
      // Lines alone: never above what is left (earlier refunds by amount may
      // have paid back part of these lines' value already). An explicit
      // amount is checked against what is left below, as without lines.
      amount = request.amount ? *request.amount : std::min(value, left);
    } else if (request.amount) {
      amount = *request.amount;
    }
    if (amount > left || amount <= 0) {
      return util::Err{
          OrderError::invalid("amount", "is more than what is left to refund (" +
                                            std::to_string(std::max<std::int64_t>(left, 0)) +
                                            " of " + std::to_string(current->totals.total) + ")")};
    }

    NewRefund refund;
    refund.amount = amount;
    refund.lines = request.lines;
    refund.reason = request.reason;
    refund.by = request.by;
    refund.note =
        refundNote(current->refunded_total + amount >= current->totals.total, request.reason);
    const auto applied = store_.applyRefund(order_id, refund);
    using Outcome = RefundApplied::Outcome;
    switch (applied.outcome) {
      case Outcome::kApplied: {
        logger_.info("order refunded", {{"order_id", order_id},
                                        {"refund_id", applied.refund.id},
                                        {"amount", amount},
                                        {"full", applied.full},
                                        {"by", request.by},
                                        {"reason", request.reason}});
        // The payment refund, returned stock and, when full, the stock a
        // confirmed order still held; the sweeper finishes what fails here.
        runEffects(*applied.order);
        return store_.find(order_id).value_or(*applied.order);
      }
      case Outcome::kNoOrder:
        return util::Err{OrderError::notFound(order_id)};
      case Outcome::kStatus:
        return util::Err{OrderError::status(applied.order->status, Status::kRefunded)};
      case Outcome::kLineQuantity:
        return util::Err{OrderError::invalid(
            "lines[" + std::to_string(applied.line_index) + "].quantity",
            "is more than the units bought and not yet refunded (another refund took them)")};
      case Outcome::kOverTotal:
      case Outcome::kDuplicate:
        if (whole) continue;  // a concurrent refund changed what is left: read again
        return util::Err{OrderError::invalid("amount",
                                             "is more than what is left to refund (another refund "
                                             "was made meanwhile)")};
    }
  }
  return util::Err{
      OrderError::inProgress("other refunds of this order keep changing what is left; retry")};
}

OrderService::ProviderRefundBooking OrderService::recordProviderRefund(
    const std::string& order_id, const std::string& provider_refund_id, std::int64_t amount) {
  const auto current = store_.find(order_id);
  if (!current || amount <= 0) {
    logger_.warn(
        "a refund made at the provider names no order it can be booked on",
        {{"order_id", order_id}, {"provider_refund_id", provider_refund_id}, {"amount", amount}});
    return ProviderRefundBooking::kRefused;
  }
  const bool full = current->refunded_total + amount >= current->totals.total;
  NewRefund refund;
  // The provider's refund id makes it idempotent: the next pass finds it.
  refund.id = "orf_provider_" + provider_refund_id;
  refund.amount = amount;
  refund.reason = "refunded at the provider";
  refund.by = "provider";
  refund.note = refundNote(full, refund.reason);
  refund.settled = true;  // the money moved at the provider already
  const auto applied = store_.applyRefund(order_id, refund);
  if (applied.outcome == RefundApplied::Outcome::kDuplicate) {
    return ProviderRefundBooking::kBookedBefore;
  }
  if (applied.outcome != RefundApplied::Outcome::kApplied) {
    // A checkout still under way (the sweeper settles it) may take it later.
    if (applied.order && applied.order->status == OrderStatus::kPending) {
      return ProviderRefundBooking::kNotYet;
    }
    logger_.warn(
        "a refund made at the provider does not fit the order",
        {{"order_id", order_id}, {"provider_refund_id", provider_refund_id}, {"amount", amount}});
    return ProviderRefundBooking::kRefused;
  }
  if (applied.full) runEffects(*applied.order);  // stock a confirmed order still held
  logger_.warn("refund made at the card provider recorded on the order",
               {{"order_id", order_id}, {"amount", amount}, {"full", applied.full}});
  return ProviderRefundBooking::kBooked;
}

}  // namespace emporium::orders
