#include "services/orders/order_service.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>

#include "core/http/api_error.hpp"
#include "core/json/writer.hpp"
#include "core/sql/migrations.hpp"
#include "core/util/ids.hpp"
#include "services/orders/http/render.hpp"
#include "services/orders/order_saga_support.hpp"

namespace emporium::orders {

namespace {

using Status = OrderStatus;

// The canonical form of a checkout request: what "the same body" means for
// an Idempotency-Key (key order and whitespace in the JSON do not matter).
std::string requestHash(const CheckoutRequest& r) {
  json::Writer w;
  w.startObject().member("cart_id", r.cart_id);
  if (r.address_id) w.member("address_id", *r.address_id);
  if (const auto& a = r.shipping_address) {
    w.key("shipping_address").startObject().member("name", a->name).member("line1", a->line1);
    if (a->line2) w.member("line2", *a->line2);
    w.member("city", a->city);
    if (a->region) w.member("region", *a->region);
    w.member("postal_code", a->postal_code).member("country", a->country).endObject();
  }
  w.member("method", payments::methodName(r.method))
      .member("token", r.card_token)
      .member("code", r.gift_card_code)
      .endObject();
  return sql::sha256Hex(w.str());
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string skuArray(const std::vector<std::string>& skus) {
  json::Writer w;
  w.startArray();
  for (const auto& sku : skus) w.value(sku);
  w.endArray();
  return "\"skus\":" + w.str();
}

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

std::string paymentStatusAfterCharge(payments::ChargeOutcome outcome) {
  switch (outcome) {
    case payments::ChargeOutcome::kCaptured:
      return "captured";
    case payments::ChargeOutcome::kPending:
      return "pending";
    case payments::ChargeOutcome::kDeclined:
    case payments::ChargeOutcome::kInsufficientFunds:
    case payments::ChargeOutcome::kInvalid:
      return "declined";
    case payments::ChargeOutcome::kThrottled:
      return "not_charged";
    case payments::ChargeOutcome::kUnavailable:
      break;
  }
  return "failed";
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
  const std::string hash = requestHash(request);
  const IdempotencyRef ref{request.user_id, request.idempotency_key};
  auto claim = store_.claimKey(ref, hash);
  const auto deadline = std::chrono::steady_clock::now() + options_.replay_wait;
  while (claim.state == ClaimState::kInProgress) {
    // Another request with this key is running: its outcome is ours.
    if (std::chrono::steady_clock::now() >= deadline) {
      http::ApiError busy(409, "request-in-progress", "Request in progress",
                          "a request with this Idempotency-Key is still being processed; retry "
                          "shortly to get its outcome");
      busy.headers().emplace_back("Retry-After", "1");
      throw busy;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    claim = store_.peekKey(ref, hash);
    if (claim.state == ClaimState::kClaimed) claim = store_.claimKey(ref, hash);  // it gave up
  }
  if (claim.state == ClaimState::kMismatch) {
    throw http::ApiError::validation("Idempotency-Key",
                                     "was already used with a different request body");
  }
  if (claim.state == ClaimState::kReplay) {
    counters_->replayed.fetch_add(1, std::memory_order_relaxed);
    auto response = toResponse(*claim.response);
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
    if (!cart_lines) throw http::ApiError::validation("cart_id", "no such cart");
    if (cart_lines->empty()) throw http::ApiError::validation("cart_id", "the cart is empty");
    std::vector<std::string> wanted;
    for (const auto& line : *cart_lines) wanted.push_back(line.sku);
    std::map<std::string, catalog::SkuInfo> info;
    for (auto& sku : skus_.lookup(wanted)) info.emplace(sku.sku, std::move(sku));
    std::vector<std::string> unavailable;
    for (const auto& line : *cart_lines) {
      const auto it = info.find(line.sku);
      if (it == info.end() || !it->second.purchasable) unavailable.push_back(line.sku);
    }
    if (!unavailable.empty()) {
      http::ApiError gone(
          409, "items-unavailable", "Items no longer sold",
          "these items are no longer sold: " + joined(unavailable) + "; remove them from the cart");
      gone.extensionMembers() = skuArray(unavailable);
      throw gone;
    }
    order.currency = info.begin()->second.currency;
    for (const auto& line : *cart_lines) {
      const auto& sku = info.at(line.sku);
      if (sku.currency != order.currency) {
        throw http::ApiError::validation("cart_id",
                                         "the cart mixes currencies; check out each "
                                         "currency separately");
      }
      order.lines.push_back(
          OrderLine{line.sku, sku.product_id, sku.title, line.quantity, sku.unit_price, 0});
    }
    if (request.address_id) {
      auto address = addresses_(request.user_id, *request.address_id);
      if (!address) throw http::ApiError::validation("address_id", "no such address");
      order.shipping_address = std::move(*address);
    } else {
      order.shipping_address = *request.shipping_address;
    }
    try {
      order.totals = priceOrder(order.lines, options_.pricing);
    } catch (const std::overflow_error&) {
      throw http::ApiError::validation("cart_id", "the order total is too large");
    }
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

  const auto problem = [&](const http::ApiError& error) {
    return http::problemResponse(error, request_path, request_id);
  };
  // Ends the saga with the checkout refused: the order becomes `failed`
  // (kept for the owner, not the buyer's), its effects give back what was
  // taken, the cart is left as it was. The response is kept for replays
  // unless keep_key is false (nothing a replay should repeat).
  const auto failWith = [&](const http::Response& response, std::string note, Transition change,
                            bool keep_key) {
    change.to = Status::kFailed;
    change.note = std::move(note);
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
    counters_->insufficient_stock.fetch_add(1, std::memory_order_relaxed);
    http::ApiError short_stock(
        409, "insufficient-stock", "Insufficient stock",
        "not enough stock for: " + joined(reserve.short_skus) +
            ". Nothing was charged and your cart is unchanged: lower the quantity of these items "
            "or remove them, then check out again");
    short_stock.extensionMembers() = skuArray(reserve.short_skus);
    Transition change;
    change.payment_status = "not_charged";
    return failWith(problem(short_stock), "insufficient stock: " + joined(reserve.short_skus),
                    change, true);
  }
  options_.crash("stock_reserved");

  payments::ChargeRequest charge;
  charge.order_id = order.id;
  charge.idempotency_key = order.id;  // one payment per order: a retried step never pays twice
  charge.method = request.method;
  charge.card_token = request.card_token;
  charge.gift_card_code = request.gift_card_code;
  // A card token pays for one payer only (see payments::ChargeRequest::payer).
  charge.payer = request.user_id.empty() ? "cart:" + request.cart_id : "user:" + request.user_id;
  charge.client_address = request.client_address;
  charge.amount = order.totals.total;
  charge.currency = order.currency;
  const auto charged = payments_.charge(charge);
  options_.crash("payment_taken");

  Transition failed;
  failed.stock_effect = StockEffect::kRelease;
  failed.payment_status = paymentStatusAfterCharge(charged.outcome);
  if (charged.payment) failed.payment_id = charged.payment->id;
  switch (charged.outcome) {
    case payments::ChargeOutcome::kCaptured:
    case payments::ChargeOutcome::kPending:
      break;
    case payments::ChargeOutcome::kDeclined:
    case payments::ChargeOutcome::kInsufficientFunds: {
      counters_->declined.fetch_add(1, std::memory_order_relaxed);
      const bool funds = charged.outcome == payments::ChargeOutcome::kInsufficientFunds;
      std::string detail = charged.detail.empty() ? std::string(funds ? "insufficient funds"
                                                                      : "the payment was declined")
                                                  : charged.detail;
      detail +=
          ". Nothing was charged and your cart is unchanged: try another card or another payment "
          "method";
      const http::ApiError declined(402, funds ? "insufficient-funds" : "payment-declined",
                                    "Payment declined", detail);
      return failWith(problem(declined), "payment declined", failed, true);
    }
    case payments::ChargeOutcome::kInvalid: {
      counters_->declined.fetch_add(1, std::memory_order_relaxed);
      const std::string field =
          request.method == payments::Method::kGiftCard ? "payment.code" : "payment.token";
      const http::ApiError invalid = http::ApiError::validation(
          field, (charged.detail.empty() ? std::string("is not usable") : charged.detail) +
                     "; check it or pay another way (your cart is unchanged)");
      return failWith(problem(invalid), "payment not usable", failed, true);
    }
    case payments::ChargeOutcome::kThrottled: {
      // Not replayed under the key: once the window passes, the same request may go through.
      counters_->declined.fetch_add(1, std::memory_order_relaxed);
      auto limited = http::ApiError::tooManyRequests(charged.retry_after, charged.detail);
      return failWith(problem(limited), "too many wrong gift card codes", failed, false);
    }
    case payments::ChargeOutcome::kUnavailable: {
      counters_->provider_unavailable.fetch_add(1, std::memory_order_relaxed);
      http::ApiError down(503, "payment-provider-unavailable", "Payment provider unavailable",
                          "the card payment provider cannot be reached; nothing was charged, no "
                          "stock is held and your cart is unchanged. Retry shortly, or pay "
                          "another way");
      down.headers().emplace_back("Retry-After", "5");
      // The provider may have taken the money before the line went quiet: the
      // refund effect asks it by idempotency key and gives it back.
      failed.payment_effect = PaymentEffect::kRefund;
      auto response = problem(down);
      return failWith(response, "payment provider unavailable", failed, false);
    }
  }

  if (!inventory_.confirm(order.id)) {
    // The hold expired while the payment ran (it lasts minutes): give the money back.
    http::ApiError expired(409, "insufficient-stock", "Insufficient stock",
                           "the stock held for this order was released before payment finished; "
                           "the payment is refunded and your cart is unchanged. Check out again");
    Transition change = failed;
    change.payment_effect = PaymentEffect::kRefund;
    return failWith(problem(expired), "stock hold expired", change, true);
  }
  options_.crash("stock_confirmed");

  Transition confirm;
  confirm.to = Status::kConfirmed;
  confirm.note = charged.outcome == payments::ChargeOutcome::kPending ? "cash on delivery"
                                                                      : "payment captured";
  confirm.payment_status = paymentStatusAfterCharge(charged.outcome);
  if (charged.payment) confirm.payment_id = charged.payment->id;
  // Owed with the confirmation, so a crash before the cart is emptied leaves
  // the sweeper to empty it.
  confirm.empty_cart = true;
  confirm.idempotency = ref;
  // The stored bytes must describe the order as committed: render it from the
  // values the transition writes (timestamps differ by microseconds at most).
  Order expected = order;
  expected.status = Status::kConfirmed;
  expected.payment_status = *confirm.payment_status;
  expected.payment_id = confirm.payment_id.value_or("");
  expected.updated_at = util::nowRfc3339();
  for (const auto& line : order.lines) expected.item_count += line.quantity;
  expected.timeline.push_back(TimelineEntry{Status::kConfirmed, expected.updated_at, confirm.note});
  http::Response created = http::Response::json(201, renderOrder(expected));
  confirm.response = stored(created);
  const auto after = store_.transition(order.id, confirm);
  if (!after || after->order.status != Status::kConfirmed) {
    // The sweeper decided first (only after recover_after): report what it did.
    return problem(saga::interruptedProblem());
  }
  counters_->confirmed.fetch_add(1, std::memory_order_relaxed);
  options_.crash("order_confirmed");
  runEffects(after->order);
  created.headers.emplace_back("Location", "/api/v1/orders/" + order.id);
  return created;
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

void OrderService::renderMetrics(std::string& out) const {
  out += metrics::textOf([this](metrics::Exposition& e) { collect(e); });
}

}  // namespace emporium::orders
