#include "services/orders/order_service.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "core/http/api_error.hpp"
#include "core/util/ids.hpp"
#include "services/orders/checkout/claim.hpp"
#include "services/orders/checkout/confirmation.hpp"
#include "services/orders/checkout/payment.hpp"
#include "services/orders/checkout/pricing.hpp"
#include "services/orders/http/problems.hpp"
#include "services/orders/http/render.hpp"
#include "services/orders/order_saga_support.hpp"

namespace emporium::orders {

namespace {

using Status = OrderStatus;

http::Response toResponse(const StoredResponse& stored) {
  http::Response response;
  response.status = stored.status;
  response.content_type = stored.status >= 400 ? http::kProblemJson : http::kJson;
  response.body = stored.body;
  return response;
}

StoredResponse stored(const http::Response& response) {
  return StoredResponse{response.status, response.body};
}

}  // namespace

void validateRecovery(std::chrono::milliseconds recover_after,
                      std::chrono::milliseconds worst_case_charge) {
  if (recover_after < worst_case_charge) {
    throw std::invalid_argument(
        "orders.recover_after_ms is " + std::to_string(recover_after.count()) +
        " ms, shorter than the worst-case card charge (" +
        std::to_string(worst_case_charge.count()) +
        " ms: 4 attempts of payments.provider_timeout_ms plus backoff); the sweeper would cancel "
        "checkouts still charging. Raise it or lower payments.provider_timeout_ms");
  }
}

void CrashHook::operator()(std::string_view step) const {
  // A test hook: the process dies here as if the power went out (no
  // destructors, no flushing), so the tests see what a real crash leaves.
  if (!at.empty() && at == step) std::_Exit(86);
}

class OrderService::InFlight {
 public:
  InFlight(OrderService& service, std::string id) : service_(service), id_(std::move(id)) {
    const std::lock_guard lock(service_.in_flight_mutex_);
    service_.in_flight_.insert(id_);
  }
  ~InFlight() {
    const std::lock_guard lock(service_.in_flight_mutex_);
    service_.in_flight_.erase(id_);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  InFlight(InFlight&&) = delete;
  InFlight& operator=(InFlight&&) = delete;

 private:
  OrderService& service_;
  std::string id_;
};

bool OrderService::inFlight(const std::string& id) const {
  const std::lock_guard lock(in_flight_mutex_);
  return in_flight_.contains(id);
}

OrderService::OrderService(OrderStore& store, cart::Client& carts, catalog::Client& skus,
                           inventory::Client& inventory, payments::Client& payments,
                           AddressBook addresses, OrderOptions options, const log::Logger& logger)
    : store_(store),
      carts_(carts),
      skus_(skus),
      inventory_(inventory),
      payments_(payments),
      addresses_(std::move(addresses)),
      options_(std::move(options)),
      logger_(logger),
      counters_(std::make_unique<Counters>()) {
  options_.clock = util::orSystemClock(std::move(options_.clock));
}

void OrderService::startSweeper() {
  if (sweeper_) return;
  sweeper_ = std::make_unique<util::PeriodicTask>(
      options_.sweep_every, [this] { sweepOnce(); },
      [this](const std::exception& e) {
        logger_.warn("order recovery pass failed", {{"error", std::string_view(e.what())}});
      });
}

OrderService::~OrderService() { sweeper_.reset(); }

// --- checkout ----------------------------------------------------------------

http::Response OrderService::place(const CheckoutRequest& request, std::string_view request_path,
                                   std::string_view request_id) {
  using checkout::CheckoutRefusal;
  const IdempotencyRef ref{request.user_id, request.idempotency_key};
  const auto claim =
      checkout::claimKey(store_, ref, checkout::requestHash(request), options_.replay_wait);
  if (!claim) throw toProblem(claim.error());
  if (!claim.value().owned()) {
    counters_->replayed.fetch_add(1, std::memory_order_relaxed);
    auto response = toResponse(*claim.value().replay);
    response.headers.emplace_back("Idempotent-Replayed", "true");
    return response;
  }
  // Ours from here: the sweeper must not take this claim for one a crash left
  // behind, however long the checkout runs. (Not marked while waiting on
  // another request's claim: that one may be exactly such a leftover.)
  const InFlight key_in_flight(*this, saga::keyMark(ref));
  options_.crash("key_claimed");

  // This request owns the key. Until an order exists, a problem forgets the
  // key, so the buyer can fix the cart and retry with it.
  Order order;
  try {
    const auto cart_lines = carts_.linesFor(request.cart_id, request.user_id);
    if (!cart_lines) throw toProblem(CheckoutRefusal::of(CheckoutRefusal::kNoSuchCart));
    const checkout::Pricer pricer(skus_, addresses_, options_.pricing);
    auto priced = pricer.price(request, *cart_lines);
    if (!priced) throw toProblem(priced.error());
    order.currency = std::move(priced.value().currency);
    order.lines = std::move(priced.value().lines);
    order.shipping_address = std::move(priced.value().shipping_address);
    order.totals = priced.value().totals;
    order.user_id = request.user_id;
    order.cart_id = request.cart_id;
    order.payment_method = std::string(payments::methodName(request.method));
    order.payment_status = "pending";
    store_.createPending(order, ref);
  } catch (...) {
    store_.releaseKey(ref);
    throw;
  }
  const InFlight order_in_flight(*this, order.id);
  options_.crash("order_created");

  // Ends the saga with the checkout refused: the order becomes `failed`
  // (kept for the owner, not the buyer's), its effects give back what was
  // taken, the cart is left as it was. The response is kept for replays
  // unless keep_key is false (nothing a replay should repeat).
  const auto failWith = [&](const CheckoutRefusal& refusal, Transition change, bool keep_key) {
    countRefused(refusal.kind);
    auto response = http::problemResponse(toProblem(refusal), request_path, request_id);
    change.to = Status::kFailed;
    if (keep_key) {
      change.idempotency = ref;
      change.response = stored(response);
    }
    const auto after = store_.transition(order.id, change);
    if (after) runEffects(after->order);
    if (!keep_key) store_.releaseKey(ref);
    return response;
  };

  const auto reserve =
      inventory_.reserve(order.id, saga::reservationLines(order), options_.hold_for);
  if (!reserve.reserved) {
    Transition change;
    change.payment_status = "not_charged";
    change.note = "insufficient stock: " + checkout::listed(reserve.short_skus);
    return failWith(
        CheckoutRefusal::withSkus(CheckoutRefusal::kInsufficientStock, reserve.short_skus), change,
        true);
  }
  options_.crash("stock_reserved");

  const auto charged = payments_.charge(checkout::chargeFor(order, request));
  options_.crash("payment_taken");
  const auto verdict = checkout::afterCharge(charged, request.method);
  if (verdict.refusal) return failWith(*verdict.refusal, verdict.failed, verdict.keep_key);

  if (!inventory_.confirm(order.id)) {
    // The hold expired while the payment ran (it lasts minutes): give the money back.
    Transition change = verdict.failed;
    change.note = "stock hold expired";
    change.payment_effect = PaymentEffect::kRefund;
    return failWith(CheckoutRefusal::of(CheckoutRefusal::kHoldExpired), change, true);
  }
  options_.crash("stock_confirmed");

  // The stored bytes must describe the order as committed: render it from the
  // values the transition writes.
  auto confirmation = checkout::confirmationAfterCharge(order, charged, ref, util::nowRfc3339());
  http::Response created = http::Response::json(201, renderOrder(confirmation.expected));
  confirmation.change.response = stored(created);
  const auto after = store_.transition(order.id, confirmation.change);
  if (!after || after->order.status != Status::kConfirmed) {
    // The sweeper decided first (only after recover_after): report what it did.
    return http::problemResponse(toProblem(CheckoutRefusal::of(CheckoutRefusal::kInterrupted)),
                                 request_path, request_id);
  }
  counters_->confirmed.fetch_add(1, std::memory_order_relaxed);
  options_.crash("order_confirmed");
  runEffects(after->order);
  created.headers.emplace_back("Location", "/api/v1/orders/" + order.id);
  return created;
}

void OrderService::countRefused(checkout::CheckoutRefusal::Kind kind) {
  using checkout::CheckoutRefusal;
  switch (kind) {
    case CheckoutRefusal::kInsufficientStock:
      counters_->insufficient_stock.fetch_add(1, std::memory_order_relaxed);
      return;
    case CheckoutRefusal::kDeclined:
    case CheckoutRefusal::kInsufficientFunds:
    case CheckoutRefusal::kPaymentInvalid:
    case CheckoutRefusal::kThrottled:
      counters_->declined.fetch_add(1, std::memory_order_relaxed);
      return;
    case CheckoutRefusal::kProviderUnavailable:
      counters_->provider_unavailable.fetch_add(1, std::memory_order_relaxed);
      return;
    default:
      // The hold expiring is counted by no outcome today (it is rare and ends
      // in a refund); refusals before the order exist are 4xx, not checkouts.
      return;
  }
}

void OrderService::collect(metrics::Exposition& out) const {
  const auto checkouts = [&out](std::string_view outcome, const std::atomic<std::uint64_t>& v) {
    out.counter("emporium_checkouts_total", "Checkouts by outcome.",
                v.load(std::memory_order_relaxed), {{"outcome", std::string(outcome)}});
  };
  checkouts("confirmed", counters_->confirmed);
  checkouts("insufficient_stock", counters_->insufficient_stock);
  checkouts("declined", counters_->declined);
  checkouts("provider_unavailable", counters_->provider_unavailable);
  checkouts("replayed", counters_->replayed);
  const auto recovered = [&out](std::string_view outcome, const std::atomic<std::uint64_t>& v) {
    out.counter("emporium_orders_recovered_total", "Interrupted checkouts the sweeper finished.",
                v.load(std::memory_order_relaxed), {{"outcome", std::string(outcome)}});
  };
  recovered("confirmed", counters_->recovered_confirmed);
  recovered("failed", counters_->recovered_failed);
  out.counter("emporium_order_keys_released_total",
              "Idempotency keys a crash left unlinked and the sweeper released.",
              counters_->keys_released.load(std::memory_order_relaxed));
  out.counter("emporium_order_effects_deferred_total",
              "Order side effects left to the recovery sweeper because they failed inline.",
              counters_->effects_deferred.load(std::memory_order_relaxed));
}

}  // namespace emporium::orders
