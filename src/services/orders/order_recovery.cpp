// The orders service's second half: the effects a status change owes other
// services (stock, payment, cart), and the recovery sweeper that finishes
// what a crash left (pending orders, owed effects, unlinked idempotency keys).

#include <algorithm>

#include "core/http/api_error.hpp"
#include "core/util/ids.hpp"
#include "services/orders/checkout/confirmation.hpp"
#include "services/orders/http/problems.hpp"
#include "services/orders/http/render.hpp"
#include "services/orders/order_saga_support.hpp"
#include "services/orders/order_service.hpp"

namespace emporium::orders {

using Status = OrderStatus;

bool OrderService::settleRefunds(const Order& order) {
  bool settled = true;
  for (const auto& refund : order.refunds) {
    if (refund.settled) continue;
    try {
      // Both calls are idempotent per refund id: a retry by the sweeper, or
      // a second settlement racing this one, neither pays nor restocks twice.
      // The money goes first: a stock return that keeps failing must not
      // hold back what the customer is owed.
      const auto outcome = payments_.refundPart(order.id, refund.id, refund.amount);
      if (outcome == payments::RefundOutcome::kUnavailable) {
        settled = false;
        continue;
      }
      if (outcome == payments::RefundOutcome::kNothingToDo) {
        // The payment had less left than this refund (e.g. refunded at the
        // provider, not yet reconciled): recorded on the order, not paid here.
        logger_.error("refund recorded but not paid: nothing left on the payment",
                      {{"order_id", order.id}, {"refund_id", refund.id}});
      }
      std::vector<inventory::ReservationLine> returned;
      for (const auto& line : refund.lines) {
        if (line.returned) returned.push_back({line.sku, line.quantity});
      }
      if (!returned.empty()) inventory_.returnToStock(refund.id, returned);
      store_.settleRefund(order.id, refund.id);
    } catch (const std::exception& e) {
      settled = false;
      logger_.warn("refund settlement deferred", {{"order_id", order.id},
                                                  {"refund_id", refund.id},
                                                  {"error", std::string_view(e.what())}});
    }
  }
  return settled;
}

bool OrderService::runEffects(const Order& order) {
  bool settled = !order.refund_effect || settleRefunds(order);
  StockEffect stock_done = StockEffect::kNone;
  PaymentEffect payment_done = PaymentEffect::kNone;
  bool cart_done = false;
  std::optional<std::string> payment_status;
  try {
    if (order.stock_effect == StockEffect::kRelease) inventory_.release(order.id);
    if (order.stock_effect == StockEffect::kFulfil) inventory_.fulfil(order.id);
    stock_done = order.stock_effect;
  } catch (const std::exception& e) {
    settled = false;
    logger_.warn("stock effect deferred",
                 {{"order_id", order.id}, {"error", std::string_view(e.what())}});
  }
  try {
    if (order.payment_effect == PaymentEffect::kRefund) {
      const auto outcome = payments_.refund(order.id);
      if (outcome == payments::RefundOutcome::kUnavailable) {
        settled = false;
      } else {
        payment_done = PaymentEffect::kRefund;
        if (outcome == payments::RefundOutcome::kRefunded) {
          const auto payment = payments_.forOrder(order.id);
          payment_status = payment ? payment->status : "refunded";
        } else if (order.payment_status == "pending") {
          // Nothing was ever taken (the charge never happened or failed):
          // say so rather than leave the payment looking in flight.
          payment_status = "not_charged";
        }
      }
    } else if (order.payment_effect == PaymentEffect::kCollect) {
      payments_.markCollected(order.id);
      payment_done = PaymentEffect::kCollect;
      payment_status = "captured";
    }
  } catch (const std::exception& e) {
    settled = false;
    logger_.warn("payment effect deferred",
                 {{"order_id", order.id}, {"error", std::string_view(e.what())}});
  }
  try {
    if (order.empty_cart) {
      carts_.removeLines(order.cart_id, saga::cartLines(order));
      cart_done = true;
    }
  } catch (const std::exception& e) {
    // The order stands; the sweeper tries again later.
    settled = false;
    logger_.warn("emptying the cart deferred",
                 {{"order_id", order.id}, {"error", std::string_view(e.what())}});
  }
  if (stock_done != StockEffect::kNone || payment_done != PaymentEffect::kNone || cart_done) {
    store_.clearEffects(order.id, stock_done, payment_done, payment_status, cart_done);
  }
  if (!settled) counters_->effects_deferred.fetch_add(1, std::memory_order_relaxed);
  return settled;
}

void OrderService::resumePending(const std::string& order_id, RecoveryReport& report) {
  const auto order = store_.find(order_id);
  if (!order || order->status != Status::kPending) return;
  const auto key = store_.keyForOrder(order_id);
  const auto payment = payments_.forOrder(order_id);
  const bool paid =
      payment &&
      (payment->status == "captured" ||
       (payment->method == payments::Method::kCashOnDelivery && payment->status == "pending"));
  if (paid) {
    // Finish forward: the buyer paid, so the order should stand if the stock
    // is still there (the hold is idempotent per order).
    const auto reserve =
        inventory_.reserve(order_id, saga::reservationLines(*order), options_.hold_for);
    if (reserve.reserved && inventory_.confirm(order_id)) {
      // As after a checkout that was not interrupted: the cart is emptied.
      auto confirmation =
          checkout::confirmationOf(*order, "completed after an interruption", payment->status,
                                   payment->id, key, util::nowRfc3339());
      if (key)
        confirmation.change.response = StoredResponse{201, renderOrder(confirmation.expected)};
      const auto after = store_.transition(order_id, confirmation.change);
      if (after && after->applied) {
        ++report.confirmed;
        counters_->recovered_confirmed.fetch_add(1, std::memory_order_relaxed);
        if (!runEffects(after->order)) ++report.deferred;
      }
      return;
    }
  }
  // Not paid (or no stock left to honour the payment): the checkout failed;
  // give back whatever it took. The buyer never had an order.
  Transition fail;
  fail.to = Status::kFailed;
  fail.note = "checkout interrupted";
  fail.stock_effect = StockEffect::kRelease;
  fail.payment_effect = PaymentEffect::kRefund;
  if (payment) {
    fail.payment_status = payment->status == "pending" ? "failed" : payment->status;
    fail.payment_id = payment->id;
  } else {
    fail.payment_status = "not_charged";
  }
  if (key) {
    fail.idempotency = key;
    fail.response = StoredResponse{
        409, http::problemResponse(
                 toProblem(checkout::CheckoutRefusal::of(checkout::CheckoutRefusal::kInterrupted)),
                 "/api/v1/orders", "")
                 .body};
  }
  const auto after = store_.transition(order_id, fail);
  if (after && after->applied) {
    ++report.failed;
    counters_->recovered_failed.fetch_add(1, std::memory_order_relaxed);
    if (!runEffects(after->order)) ++report.deferred;
  }
}

RecoveryReport OrderService::recover() {
  RecoveryReport report;
  const auto before = util::formatRfc3339(
      options_.clock() -
      std::chrono::duration_cast<std::chrono::system_clock::duration>(options_.recover_after));
  constexpr std::size_t kBatch = 100;
  for (const auto& id : store_.stalePending(before, kBatch)) {
    // A checkout this process is still running is not abandoned, however
    // long its payment takes.
    if (inFlight(id)) continue;
    try {
      resumePending(id, report);
    } catch (const std::exception& e) {
      ++report.deferred;
      logger_.warn("could not recover an order",
                   {{"order_id", id}, {"error", std::string_view(e.what())}});
    }
  }
  // A crash between claiming a key and creating the order left a claim that
  // would answer "in progress" forever: release it, so a retry runs afresh.
  for (const auto& ref : store_.unlinkedKeys(before, kBatch)) {
    if (inFlight(saga::keyMark(ref))) continue;
    if (store_.releaseUnlinkedKey(ref)) {
      ++report.keys_released;
      counters_->keys_released.fetch_add(1, std::memory_order_relaxed);
    }
  }
  for (const auto& id : store_.owingEffects(before, kBatch)) {
    const auto order = store_.find(id);
    if (!order) continue;
    if (runEffects(*order)) {
      ++report.effects_done;
    } else {
      ++report.deferred;
    }
  }
  return report;
}

void OrderService::sweepOnce() {
  const auto report = recover();
  if (report.confirmed + report.failed + report.keys_released + report.effects_done +
          report.deferred >
      0) {
    logger_.info("order recovery pass",
                 {{"confirmed", static_cast<std::int64_t>(report.confirmed)},
                  {"failed", static_cast<std::int64_t>(report.failed)},
                  {"keys_released", static_cast<std::int64_t>(report.keys_released)},
                  {"effects_done", static_cast<std::int64_t>(report.effects_done)},
                  {"deferred", static_cast<std::int64_t>(report.deferred)}});
  }
}

}  // namespace emporium::orders
