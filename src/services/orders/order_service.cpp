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

namespace emporium::orders {

struct OrderService::Counters {
  std::atomic<std::uint64_t> confirmed{0};
  std::atomic<std::uint64_t> insufficient_stock{0};
  std::atomic<std::uint64_t> declined{0};
  std::atomic<std::uint64_t> provider_unavailable{0};
  std::atomic<std::uint64_t> replayed{0};
  std::atomic<std::uint64_t> recovered_confirmed{0};
  std::atomic<std::uint64_t> recovered_cancelled{0};
  std::atomic<std::uint64_t> effects_deferred{0};
};

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
    case payments::ChargeOutcome::kUnavailable:
      break;
  }
  return "failed";
}

std::vector<inventory::ReservationLine> reservationLines(const Order& order) {
  // Merged per SKU: a reservation holds one row per (order, sku).
  std::map<std::string, std::int64_t> per_sku;
  for (const auto& line : order.lines) per_sku[line.sku] += line.quantity;
  std::vector<inventory::ReservationLine> lines;
  lines.reserve(per_sku.size());
  for (const auto& [sku, quantity] : per_sku) lines.push_back({sku, quantity});
  return lines;
}

std::vector<cart::CartLine> cartLines(const Order& order) {
  std::vector<cart::CartLine> lines;
  lines.reserve(order.lines.size());
  for (const auto& line : order.lines) lines.push_back({line.sku, line.quantity});
  return lines;
}

http::ApiError interruptedProblem() {
  return http::ApiError(409, "checkout-interrupted", "Checkout interrupted",
                        "the checkout was interrupted and has been cancelled; no payment was kept "
                        "and no stock is held. Place the order again");
}

}  // namespace

void CrashHook::operator()(std::string_view step) const {
  // A test hook: the process dies here as if the power went out (no
  // destructors, no flushing), so the tests see what a real crash leaves.
  if (!at.empty() && at == step) std::_Exit(86);
}

OrderService::OrderService(OrderStore& store, cart::Client& carts, catalog::SkuLookup& skus,
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
      counters_(std::make_unique<Counters>()) {}

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
  options_.crash("order_created");

  const auto problem = [&](const http::ApiError& error) {
    return http::problemResponse(error, request_path, request_id);
  };
  // Ends the saga with the order cancelled; the response is kept for replays
  // unless keep_key is false (nothing a replay should repeat).
  const auto cancelWith = [&](const http::Response& response, std::string note, Transition change,
                              bool keep_key) {
    change.to = Status::kCancelled;
    change.note = std::move(note);
    if (keep_key) {
      change.idempotency = ref;
      change.response = stored(response);
    }
    const auto after = store_.transition(order.id, std::array{Status::kPending}, change);
    if (after) runEffects(after->order);
    if (!keep_key) store_.releaseKey(ref);
    return response;
  };

  const auto reserve = inventory_.reserve(order.id, reservationLines(order), options_.hold_for);
  if (!reserve.reserved) {
    counters_->insufficient_stock.fetch_add(1, std::memory_order_relaxed);
    http::ApiError short_stock(409, "insufficient-stock", "Insufficient stock",
                               "not enough stock for: " + joined(reserve.short_skus));
    short_stock.extensionMembers() = skuArray(reserve.short_skus);
    Transition change;
    change.payment_status = "not_charged";
    return cancelWith(problem(short_stock), "insufficient stock: " + joined(reserve.short_skus),
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
      http::ApiError declined(
          402, funds ? "insufficient-funds" : "payment-declined", "Payment declined",
          charged.detail.empty()
              ? std::string(funds ? "insufficient funds" : "the payment was declined")
              : charged.detail);
      return cancelWith(problem(declined), "payment declined", failed, true);
    }
    case payments::ChargeOutcome::kInvalid: {
      counters_->declined.fetch_add(1, std::memory_order_relaxed);
      const std::string field =
          request.method == payments::Method::kGiftCard ? "payment.code" : "payment.token";
      const http::ApiError invalid = http::ApiError::validation(
          field, charged.detail.empty() ? "is not usable" : charged.detail);
      return cancelWith(problem(invalid), "payment not usable", failed, true);
    }
    case payments::ChargeOutcome::kUnavailable: {
      counters_->provider_unavailable.fetch_add(1, std::memory_order_relaxed);
      http::ApiError down(503, "payment-provider-unavailable", "Payment provider unavailable",
                          "the card payment provider cannot be reached; nothing was charged and "
                          "no stock is held. Retry shortly");
      down.headers().emplace_back("Retry-After", "5");
      // The provider may have taken the money before the line went quiet: the
      // refund effect asks it by idempotency key and gives it back.
      failed.payment_effect = PaymentEffect::kRefund;
      auto response = problem(down);
      return cancelWith(response, "payment provider unavailable", failed, false);
    }
  }

  if (!inventory_.confirm(order.id)) {
    // The hold expired while the payment ran (it lasts minutes): give the money back.
    http::ApiError expired(409, "insufficient-stock", "Insufficient stock",
                           "the stock held for this order was released before payment finished");
    Transition change = failed;
    change.payment_effect = PaymentEffect::kRefund;
    return cancelWith(problem(expired), "stock hold expired", change, true);
  }
  options_.crash("stock_confirmed");

  Transition confirm;
  confirm.to = Status::kConfirmed;
  confirm.note = charged.outcome == payments::ChargeOutcome::kPending ? "cash on delivery"
                                                                      : "payment captured";
  confirm.payment_status = paymentStatusAfterCharge(charged.outcome);
  if (charged.payment) confirm.payment_id = charged.payment->id;
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
  const auto after = store_.transition(order.id, std::array{Status::kPending}, confirm);
  if (!after || after->order.status != Status::kConfirmed) {
    // The sweeper decided first (only after recover_after): report what it did.
    return problem(interruptedProblem());
  }
  counters_->confirmed.fetch_add(1, std::memory_order_relaxed);
  options_.crash("order_confirmed");
  try {
    carts_.removeLines(order.cart_id, cartLines(order));
  } catch (const std::exception& e) {
    // The order stands; a cart that still shows the lines is an annoyance, not a loss.
    logger_.warn("could not empty the cart after checkout",
                 {{"order_id", order.id}, {"error", std::string_view(e.what())}});
  }
  created.headers.emplace_back("Location", "/api/v1/orders/" + order.id);
  return created;
}

// --- reads and transitions ---------------------------------------------------

std::optional<Order> OrderService::orderFor(const std::string& user_id,
                                            const std::string& order_id) {
  auto order = store_.find(order_id);
  if (!order || order->user_id != user_id) return std::nullopt;
  return order;
}

Order OrderService::transitionOrThrow(const std::string& order_id,
                                      std::span<const OrderStatus> from, const Transition& change) {
  const auto after = store_.transition(order_id, from, change);
  if (!after) throw http::ApiError::notFound("no order " + order_id);
  if (!after->applied) {
    throw http::ApiError(409, "invalid-transition", "Not allowed in this state",
                         "the order is " + std::string(statusName(after->order.status)) +
                             "; it cannot be " + std::string(statusName(change.to)));
  }
  runEffects(after->order);
  return store_.find(order_id).value_or(after->order);
}

Order OrderService::cancel(const std::string& order_id, const std::optional<std::string>& user_id) {
  const auto current = store_.find(order_id);
  if (!current || (user_id && current->user_id != *user_id)) {
    throw http::ApiError::notFound("no order " + order_id);
  }
  if (current->status == Status::kPending) {
    throw http::ApiError(409, "invalid-transition", "Not allowed in this state",
                         "the order is still being placed; try again in a moment");
  }
  Transition change;
  change.to = Status::kCancelled;
  change.note = user_id ? "cancelled by the buyer" : "cancelled by the shop";
  change.stock_effect = StockEffect::kRelease;
  change.payment_effect = PaymentEffect::kRefund;
  return transitionOrThrow(order_id, std::array{Status::kConfirmed}, change);
}

Order OrderService::ship(const std::string& order_id, const std::string& carrier,
                         const std::string& tracking_number) {
  Transition change;
  change.to = Status::kShipped;
  change.note = "shipped with " + carrier;
  change.stock_effect = StockEffect::kFulfil;
  change.carrier = carrier;
  change.tracking_number = tracking_number;
  return transitionOrThrow(order_id, std::array{Status::kConfirmed}, change);
}

Order OrderService::deliver(const std::string& order_id) {
  const auto current = store_.find(order_id);
  if (!current) throw http::ApiError::notFound("no order " + order_id);
  Transition change;
  change.to = Status::kDelivered;
  change.note = "delivered";
  if (current->payment_method == "cod") change.payment_effect = PaymentEffect::kCollect;
  return transitionOrThrow(order_id, std::array{Status::kShipped}, change);
}

Order OrderService::refund(const std::string& order_id) {
  const auto current = store_.find(order_id);
  if (!current) throw http::ApiError::notFound("no order " + order_id);
  Transition change;
  change.to = Status::kRefunded;
  change.note = "refunded";
  change.payment_effect = PaymentEffect::kRefund;
  // Stock still held comes back; shipped goods are the customer's to return.
  if (current->status == Status::kConfirmed) change.stock_effect = StockEffect::kRelease;
  // The guard is the status just read, so a concurrent change is a 409, not a wrong effect.
  return transitionOrThrow(order_id, std::array{current->status}, change);
}

// --- effects and recovery ----------------------------------------------------

bool OrderService::runEffects(const Order& order) {
  bool settled = true;
  StockEffect stock_done = StockEffect::kNone;
  PaymentEffect payment_done = PaymentEffect::kNone;
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
  if (stock_done != StockEffect::kNone || payment_done != PaymentEffect::kNone) {
    store_.clearEffects(order.id, stock_done, payment_done, payment_status);
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
    const auto reserve = inventory_.reserve(order_id, reservationLines(*order), options_.hold_for);
    if (reserve.reserved && inventory_.confirm(order_id)) {
      Transition confirm;
      confirm.to = Status::kConfirmed;
      confirm.note = "completed after an interruption";
      confirm.payment_status = payment->status;
      confirm.payment_id = payment->id;
      Order expected = *order;
      expected.status = Status::kConfirmed;
      expected.payment_status = payment->status;
      expected.payment_id = payment->id;
      expected.updated_at = util::nowRfc3339();
      expected.timeline.push_back(
          TimelineEntry{Status::kConfirmed, expected.updated_at, confirm.note});
      if (key) {
        confirm.idempotency = key;
        confirm.response = StoredResponse{201, renderOrder(expected)};
      }
      const auto after = store_.transition(order_id, std::array{Status::kPending}, confirm);
      if (after && after->applied) {
        ++report.confirmed;
        counters_->recovered_confirmed.fetch_add(1, std::memory_order_relaxed);
        try {
          carts_.removeLines(order->cart_id, cartLines(*order));
        } catch (const std::exception&) {
          // The order stands either way.
        }
      }
      return;
    }
  }
  // Not paid (or no stock left to honour the payment): cancel cleanly.
  Transition cancel;
  cancel.to = Status::kCancelled;
  cancel.note = "checkout interrupted; cancelled";
  cancel.stock_effect = StockEffect::kRelease;
  cancel.payment_effect = PaymentEffect::kRefund;
  if (payment) {
    cancel.payment_status = payment->status == "pending" ? "failed" : payment->status;
    cancel.payment_id = payment->id;
  }
  if (key) {
    cancel.idempotency = key;
    cancel.response = stored(http::problemResponse(interruptedProblem(), "/api/v1/orders", ""));
  }
  const auto after = store_.transition(order_id, std::array{Status::kPending}, cancel);
  if (after && after->applied) {
    ++report.cancelled;
    counters_->recovered_cancelled.fetch_add(1, std::memory_order_relaxed);
    if (!runEffects(after->order)) ++report.deferred;
  }
}

RecoveryReport OrderService::recover() {
  RecoveryReport report;
  const auto before = util::formatRfc3339(
      std::chrono::system_clock::now() -
      std::chrono::duration_cast<std::chrono::system_clock::duration>(options_.recover_after));
  constexpr std::size_t kBatch = 100;
  for (const auto& id : store_.stalePending(before, kBatch)) {
    try {
      resumePending(id, report);
    } catch (const std::exception& e) {
      ++report.deferred;
      logger_.warn("could not recover an order",
                   {{"order_id", id}, {"error", std::string_view(e.what())}});
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
  if (report.confirmed + report.cancelled + report.effects_done + report.deferred > 0) {
    logger_.info("order recovery pass",
                 {{"confirmed", static_cast<std::int64_t>(report.confirmed)},
                  {"cancelled", static_cast<std::int64_t>(report.cancelled)},
                  {"effects_done", static_cast<std::int64_t>(report.effects_done)},
                  {"deferred", static_cast<std::int64_t>(report.deferred)}});
  }
}

void OrderService::renderMetrics(std::string& out) const {
  const auto line = [&out](std::string_view outcome, const std::atomic<std::uint64_t>& v) {
    out.append("emporium_checkouts_total{outcome=\"").append(outcome).append("\"} ");
    out.append(std::to_string(v.load(std::memory_order_relaxed))).append("\n");
  };
  out += "# HELP emporium_checkouts_total Checkouts by outcome.\n";
  out += "# TYPE emporium_checkouts_total counter\n";
  line("confirmed", counters_->confirmed);
  line("insufficient_stock", counters_->insufficient_stock);
  line("declined", counters_->declined);
  line("provider_unavailable", counters_->provider_unavailable);
  line("replayed", counters_->replayed);
  out += "# HELP emporium_orders_recovered_total Pending orders the sweeper finished.\n";
  out += "# TYPE emporium_orders_recovered_total counter\n";
  out += "emporium_orders_recovered_total{outcome=\"confirmed\"} " +
         std::to_string(counters_->recovered_confirmed.load()) + "\n";
  out += "emporium_orders_recovered_total{outcome=\"cancelled\"} " +
         std::to_string(counters_->recovered_cancelled.load()) + "\n";
  out +=
      "# HELP emporium_order_effects_deferred_total Order side effects left to the recovery "
      "sweeper because they failed inline.\n";
  out += "# TYPE emporium_order_effects_deferred_total counter\n";
  out += "emporium_order_effects_deferred_total " +
         std::to_string(counters_->effects_deferred.load()) + "\n";
}

}  // namespace emporium::orders
