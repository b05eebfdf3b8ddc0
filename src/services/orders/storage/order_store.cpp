#include "services/orders/storage/order_store.hpp"

#include <algorithm>
#include <stdexcept>

#include <rapidjson/document.h>

#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "core/util/ids.hpp"
#include "services/orders/domain/order_events.hpp"

namespace emporium::orders {
namespace {

// --- idempotency keys -------------------------------------------------------

constexpr sql::Query kClaimKey{
    "orders.claim_key",
    "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id"};
constexpr sql::Query kPeekKey{
    "orders.peek_key",
    "SELECT request_hash, response_status, response_body FROM idempotency_keys "
    "WHERE user_id = $1 AND key = $2"};
constexpr sql::Query kReleaseKey{"orders.release_key",
                                 "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2"};
constexpr sql::Query kSaveResponse{
    "orders.save_response",
    "UPDATE idempotency_keys SET response_status = $3, response_body = $4 "
    "WHERE user_id = $1 AND key = $2"};
constexpr sql::Query kLinkKey{
    "orders.link_key", "UPDATE idempotency_keys SET order_id = $3 WHERE user_id = $1 AND key = $2"};
constexpr sql::Query kUnlinkedKeys{
    "orders.unlinked_keys",
    "SELECT user_id, key FROM idempotency_keys WHERE order_id IS NULL AND response_status IS NULL "
    "AND created_at < $1 ORDER BY created_at LIMIT $2"};
constexpr sql::Query kReleaseUnlinkedKey{
    "orders.release_unlinked_key",
    "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND order_id IS NULL "
    "AND response_status IS NULL"};
constexpr sql::Query kKeyForOrder{"orders.key_for_order",
                                  "SELECT user_id, key FROM idempotency_keys WHERE order_id = $1"};

// --- orders -----------------------------------------------------------------

#define ORDER_SELECT                                                                      \
  "SELECT id, number, user_id, status, currency, subtotal, shipping, tax, total, "        \
  "payment_method, payment_status, cart_id, shipping_address, carrier, tracking_number, " \
  "stock_effect, payment_effect, created_at, updated_at, payment_id, "                    \
  "(SELECT COALESCE(SUM(quantity), 0) FROM order_lines l WHERE l.order_id = orders.id), " \
  "cart_effect, refunded_total, refund_effect FROM orders "

constexpr sql::Query kInsertOrder{
    "orders.insert",
    "INSERT INTO orders (id, number, user_id, status, currency, subtotal, shipping, tax, total, "
    "payment_method, payment_status, cart_id, shipping_address, created_at, updated_at) "
    "VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)"};
constexpr sql::Query kInsertLine{
    "orders.insert_line",
    "INSERT INTO order_lines (order_id, position, sku, product_id, title, quantity, unit_price, "
    "line_total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};
constexpr sql::Query kAppendTimeline{
    "orders.append_timeline",
    "INSERT INTO order_timeline (order_id, seq, status, note, at) "
    "SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM order_timeline WHERE order_id = $1"};
constexpr sql::Query kOrderById{"orders.by_id", ORDER_SELECT "WHERE id = $1"};
constexpr sql::Query kLines{
    "orders.lines",
    "SELECT sku, product_id, title, quantity, unit_price, line_total, refunded_quantity "
    "FROM order_lines WHERE order_id = $1 ORDER BY position"};
constexpr sql::Query kRefunds{
    "orders.refunds",
    "SELECT id, amount, lines, reason, refunded_by, at, settled FROM order_refunds "
    "WHERE order_id = $1 ORDER BY at, id"};
constexpr sql::Query kRefundExists{"orders.refund_exists",
                                   "SELECT 1 FROM order_refunds WHERE id = $1"};
constexpr sql::Query kInsertRefund{
    "orders.insert_refund",
    "INSERT INTO order_refunds (id, order_id, amount, lines, reason, refunded_by, at, settled) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};
// The check and the addition in one statement, the statuses the transition
// table lets `refunded` start from in its WHERE: of concurrent refunds only
// those that still fit apply. SET reads the row as it was, so the CASEs see
// the old status and total.
const std::string& addRefundedText() {
  static const std::string text = [] {
    std::string t =
        "UPDATE orders SET refunded_total = refunded_total + $2, "
        "status = CASE WHEN refunded_total + $2 >= total THEN 'refunded' ELSE status END, "
        "stock_effect = CASE WHEN refunded_total + $2 >= total AND status = 'confirmed' "
        "THEN 'release' ELSE stock_effect END, "
        "refund_effect = CASE WHEN $4 = 1 THEN refund_effect ELSE 'settle' END, updated_at = $3 "
        "WHERE id = $1 AND $2 > 0 AND refunded_total + $2 <= total AND status IN (";
    const auto from = allowedFrom(OrderStatus::kRefunded);
    for (std::size_t i = 0; i < from.size(); ++i) {
      if (i > 0) t += ", ";
      t += '\'';
      t += statusName(from[i]);
      t += '\'';
    }
    return t + ")";
  }();
  return text;
}
constexpr sql::Query kAddLineRefunded{
    "orders.add_line_refunded",
    "UPDATE order_lines SET refunded_quantity = refunded_quantity + $3 "
    "WHERE order_id = $1 AND sku = $2 AND refunded_quantity + $3 <= quantity"};
constexpr sql::Query kSettleRefund{
    "orders.settle_refund",
    "UPDATE order_refunds SET settled = 1 WHERE id = $1 AND order_id = $2 AND settled = 0"};
// The payment's status follows the refunds whose money went back: a partly
// refunded payment says so, a fully refunded one too, and cash on delivery
// not yet collected is voided once nothing is left to collect.
constexpr sql::Query kRefundPaymentStatus{
    "orders.refund_payment_status",
    "UPDATE orders SET payment_status = CASE "
    "WHEN payment_status = 'pending' AND payment_method = 'cod' THEN CASE WHEN "
    "(SELECT COALESCE(SUM(amount), 0) FROM order_refunds r WHERE r.order_id = orders.id "
    "AND r.settled = 1) >= total THEN 'voided' ELSE payment_status END "
    "WHEN payment_status IN ('captured', 'partially_refunded') THEN CASE WHEN "
    "(SELECT COALESCE(SUM(amount), 0) FROM order_refunds r WHERE r.order_id = orders.id "
    "AND r.settled = 1) >= total THEN 'refunded' ELSE 'partially_refunded' END "
    "ELSE payment_status END WHERE id = $1"};
constexpr sql::Query kClearRefundEffect{
    "orders.clear_refund_effect",
    "UPDATE orders SET refund_effect = '' WHERE id = $1 AND refund_effect <> '' AND NOT EXISTS "
    "(SELECT 1 FROM order_refunds r WHERE r.order_id = $1 AND r.settled = 0)"};
constexpr sql::Query kTimeline{
    "orders.timeline",
    "SELECT status, at, note FROM order_timeline WHERE order_id = $1 ORDER BY seq"};
// A failed checkout is not in the buyer's history (visibleToBuyer).
constexpr sql::Query kUserFirst{
    "orders.user_first",
    ORDER_SELECT "WHERE user_id = $1 AND status <> 'failed' ORDER BY id DESC LIMIT $2"};
constexpr sql::Query kUserBefore{
    "orders.user_before",
    ORDER_SELECT "WHERE user_id = $1 AND status <> 'failed' AND id < $3 ORDER BY id DESC LIMIT $2"};
// Failed checkouts are listed for the owner only when asked (?status=failed).
constexpr sql::Query kAllFirst{"orders.all_first",
                               ORDER_SELECT "WHERE status <> 'failed' ORDER BY id DESC LIMIT $1"};
constexpr sql::Query kAllBefore{"orders.all_before", ORDER_SELECT
                                "WHERE status <> 'failed' AND id < $2 ORDER BY id DESC LIMIT $1"};
constexpr sql::Query kStatusFirst{"orders.status_first",
                                  ORDER_SELECT "WHERE status = $2 ORDER BY id DESC LIMIT $1"};
constexpr sql::Query kStatusBefore{
    "orders.status_before", ORDER_SELECT "WHERE status = $2 AND id < $3 ORDER BY id DESC LIMIT $1"};
constexpr sql::Query kStalePending{
    "orders.stale_pending",
    "SELECT id FROM orders WHERE status = 'pending' AND updated_at < $1 ORDER BY id LIMIT $2"};
constexpr sql::Query kOwingEffects{
    "orders.owing_effects",
    "SELECT id FROM orders WHERE (stock_effect <> '' OR payment_effect <> '' OR cart_effect <> '' "
    "OR refund_effect <> '') "
    "AND updated_at < $1 ORDER BY updated_at LIMIT $2"};

#undef ORDER_SELECT

std::string addressJson(const ShippingAddress& a) {
  json::Writer w;
  w.startObject();
  w.key("name").value(a.name).key("line1").value(a.line1);
  if (a.line2) w.key("line2").value(*a.line2);
  w.key("city").value(a.city);
  if (a.region) w.key("region").value(*a.region);
  w.key("postal_code").value(a.postal_code).key("country").value(a.country);
  w.endObject();
  return w.str();
}

ShippingAddress parseAddress(const std::string& text) {
  const auto body = json::Body::parseText(text);
  ShippingAddress a;
  a.name = body.optionalString("name").value_or("");
  a.line1 = body.optionalString("line1").value_or("");
  a.line2 = body.optionalString("line2");
  a.city = body.optionalString("city").value_or("");
  a.region = body.optionalString("region");
  a.postal_code = body.optionalString("postal_code").value_or("");
  a.country = body.optionalString("country").value_or("");
  return a;
}

Order readOrder(const sql::Row& row) {
  Order o;
  o.id = row.getText(0);
  o.number = row.getText(1);
  o.user_id = row.getText(2);
  o.status = parseStatus(row.getText(3)).value_or(OrderStatus::kPending);
  o.currency = row.getText(4);
  o.totals = Totals{row.getInt64(5), row.getInt64(6), row.getInt64(7), row.getInt64(8)};
  o.payment_method = row.getText(9);
  o.payment_status = row.getText(10);
  o.cart_id = row.getText(11);
  o.shipping_address = parseAddress(row.getText(12));
  o.carrier = row.getOptionalText(13);
  o.tracking_number = row.getOptionalText(14);
  o.stock_effect = parseStockEffect(row.getText(15));
  o.payment_effect = parsePaymentEffect(row.getText(16));
  o.created_at = row.getText(17);
  o.updated_at = row.getText(18);
  o.payment_id = row.getText(19);
  o.item_count = row.getInt64(20);
  o.empty_cart = row.getText(21) == "empty";
  o.refunded_total = row.getInt64(22);
  o.refund_effect = !row.getText(23).empty();
  return o;
}

std::string refundLinesJson(const std::vector<RefundLine>& lines) {
  json::Writer w;
  w.startArray();
  for (const auto& line : lines) {
    w.startObject()
        .member("sku", line.sku)
        .member("quantity", line.quantity)
        .member("returned", line.returned)
        .endObject();
  }
  w.endArray();
  return w.str();
}

std::vector<RefundLine> parseRefundLines(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  std::vector<RefundLine> lines;
  if (doc.HasParseError() || !doc.IsArray()) return lines;
  for (const auto& item : doc.GetArray()) {
    if (!item.IsObject()) continue;
    RefundLine line;
    if (const auto it = item.FindMember("sku"); it != item.MemberEnd() && it->value.IsString()) {
      line.sku = it->value.GetString();
    }
    if (const auto it = item.FindMember("quantity");
        it != item.MemberEnd() && it->value.IsInt64()) {
      line.quantity = it->value.GetInt64();
    }
    if (const auto it = item.FindMember("returned"); it != item.MemberEnd() && it->value.IsBool()) {
      line.returned = it->value.GetBool();
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::optional<Order> loadOrder(sql::Session& s, const std::string& order_id) {
  const auto rows = s.execute(kOrderById, {order_id});
  if (rows.empty()) return std::nullopt;
  Order order = readOrder(rows[0]);
  for (const auto& row : s.execute(kLines, {order_id})) {
    order.lines.push_back(OrderLine{row.getText(0), row.getInt64(1), row.getText(2),
                                    row.getInt64(3), row.getInt64(4), row.getInt64(5),
                                    row.getInt64(6)});
  }
  for (const auto& row : s.execute(kRefunds, {order_id})) {
    order.refunds.push_back(Refund{row.getText(0), row.getInt64(1),
                                   parseRefundLines(row.getText(2)), row.getText(3), row.getText(4),
                                   row.getText(5), row.getInt64(6) != 0});
  }
  for (const auto& row : s.execute(kTimeline, {order_id})) {
    order.timeline.push_back(
        TimelineEntry{parseStatus(row.getText(0)).value_or(OrderStatus::kPending), row.getText(1),
                      row.getText(2)});
  }
  return order;
}

std::vector<Order> readOrders(const sql::Result& rows) {
  std::vector<Order> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(readOrder(row));
  return out;
}

Claim readClaim(const sql::Result& rows, const std::string& request_hash) {
  if (rows.empty()) return Claim{ClaimState::kClaimed, std::nullopt};  // released meanwhile
  const auto& row = rows[0];
  if (row.getText(0) != request_hash) return Claim{ClaimState::kMismatch, std::nullopt};
  if (row.isNull(1)) return Claim{ClaimState::kInProgress, std::nullopt};
  return Claim{ClaimState::kReplay,
               StoredResponse{static_cast<int>(row.getInt64(1)), row.getText(2)}};
}

}  // namespace

Claim OrderStore::claimKey(const IdempotencyRef& ref, const std::string& request_hash) {
  return db_.write([&](sql::Session& s) {
    const auto now = util::nowRfc3339();
    if (!s.execute(kClaimKey, {ref.user_id, ref.key, request_hash, now}).empty()) {
      return Claim{ClaimState::kClaimed, std::nullopt};
    }
    auto claim = readClaim(s.execute(kPeekKey, {ref.user_id, ref.key}), request_hash);
    // The row cannot vanish inside this transaction; kClaimed here would be a bug.
    if (claim.state == ClaimState::kClaimed) claim.state = ClaimState::kInProgress;
    return claim;
  });
}

Claim OrderStore::peekKey(const IdempotencyRef& ref, const std::string& request_hash) {
  return db_.read([&](sql::Session& s) {
    return readClaim(s.execute(kPeekKey, {ref.user_id, ref.key}), request_hash);
  });
}

void OrderStore::releaseKey(const IdempotencyRef& ref) {
  db_.write([&](sql::Session& s) { s.execute(kReleaseKey, {ref.user_id, ref.key}); });
}

void OrderStore::saveResponse(const IdempotencyRef& ref, const StoredResponse& response) {
  db_.write([&](sql::Session& s) {
    s.execute(kSaveResponse,
              {ref.user_id, ref.key, static_cast<std::int64_t>(response.status), response.body});
  });
}

void OrderStore::createPending(Order& order, const IdempotencyRef& ref) {
  const std::string address = addressJson(order.shipping_address);
  order.id = util::newId("ord");
  order.status = OrderStatus::kPending;
  order.created_at = util::nowRfc3339();
  order.updated_at = order.created_at;
  for (int attempt = 0;; ++attempt) {
    order.number = newOrderNumber();
    try {
      db_.write([&](sql::Session& s) {
        s.execute(kInsertOrder, {order.id, order.number, order.user_id, order.currency,
                                 order.totals.subtotal, order.totals.shipping, order.totals.tax,
                                 order.totals.total, order.payment_method, order.payment_status,
                                 order.cart_id, address, order.created_at});
        std::int64_t position = 0;
        for (const auto& line : order.lines) {
          s.execute(kInsertLine, {order.id, position++, line.sku, line.product_id, line.title,
                                  line.quantity, line.unit_price, line.line_total});
        }
        s.execute(kAppendTimeline, {order.id, "pending", "order placed", order.created_at});
        s.execute(kLinkKey, {ref.user_id, ref.key, order.id});
      });
      order.timeline = {TimelineEntry{OrderStatus::kPending, order.created_at, "order placed"}};
      return;
    } catch (const sql::Error& e) {
      // 30 random bits a day: a clash is rare, two in a row rarer still.
      if (e.kind() != sql::ErrorKind::kUniqueViolation || attempt >= 4) throw;
    }
  }
}

std::optional<Transitioned> OrderStore::transition(const std::string& order_id,
                                                   const Transition& change,
                                                   std::span<const OrderStatus> only_from) {
  // The transition table's from-states, narrowed by only_from, go into the
  // WHERE clause: the check and the write are one statement, so of two
  // concurrent changes (a cancel and a ship, five refunds) exactly one
  // applies, on either backend.
  std::vector<OrderStatus> from;
  for (const auto status : allowedFrom(change.to)) {
    if (only_from.empty() ||
        std::find(only_from.begin(), only_from.end(), status) != only_from.end()) {
      from.push_back(status);
    }
  }
  if (from.empty()) {
    auto order = find(order_id);
    if (!order) return std::nullopt;
    return Transitioned{std::move(*order), false};
  }
  std::string text =
      "UPDATE orders SET status = $2, updated_at = $3, stock_effect = $4, payment_effect = $5, "
      "payment_status = COALESCE($6, payment_status), carrier = COALESCE($7, carrier), "
      "tracking_number = COALESCE($8, tracking_number), payment_id = COALESCE($9, payment_id), "
      "cart_effect = CASE WHEN $10 = '' THEN cart_effect ELSE $10 END "  // owed until done
      "WHERE id = $1 AND status IN (";
  std::string name = "orders.transition.";
  name += statusName(change.to);
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (i > 0) text += ", ";
    text += '\'';
    text += statusName(from[i]);
    text += '\'';
    name += '.';
    name += statusName(from[i]);
  }
  text += ")";
  const sql::Query update{name, text};
  auto result = db_.write([&](sql::Session& s) -> std::optional<Transitioned> {
    const auto now = util::nowRfc3339();
    const auto as_param = [](const std::optional<std::string>& v) -> sql::Param {
      if (!v) return nullptr;
      return std::string_view(*v);
    };
    const auto changed = s.execute(
        update, {order_id, statusName(change.to), now, stockEffectName(change.stock_effect),
                 paymentEffectName(change.payment_effect), as_param(change.payment_status),
                 as_param(change.carrier), as_param(change.tracking_number),
                 as_param(change.payment_id), change.empty_cart ? "empty" : ""});
    const bool applied = changed.affectedRows() == 1;
    if (applied) {
      s.execute(kAppendTimeline, {order_id, statusName(change.to), change.note, now});
      if (change.idempotency && change.response) {
        s.execute(kSaveResponse,
                  {change.idempotency->user_id, change.idempotency->key,
                   static_cast<std::int64_t>(change.response->status), change.response->body});
      }
    }
    auto order = loadOrder(s, order_id);
    if (!order) return std::nullopt;
    if (applied) {
      if (const auto type = eventTypeFor(change.to)) {
        outbox_.add(s, *type, orderEventPayload(*order));
      }
    }
    return Transitioned{std::move(*order), applied};
  });
  if (result && result->applied) outbox_.committed();
  return result;
}

namespace {
/// Rolls the refund's transaction back when a line asks too much.
struct LineRefused : std::runtime_error {
  explicit LineRefused(std::size_t i) : std::runtime_error("refund line refused"), index(i) {}
  std::size_t index;
};
}  // namespace

RefundApplied OrderStore::applyRefund(const std::string& order_id, const NewRefund& refund) {
  using Outcome = RefundApplied::Outcome;
  Refund row;
  row.id = refund.id.empty() ? util::newId("orf") : refund.id;
  row.amount = refund.amount;
  row.lines = refund.lines;
  row.reason = refund.reason;
  row.by = refund.by;
  row.settled = refund.settled;
  RefundApplied result;
  try {
    result = db_.write([&](sql::Session& s) -> RefundApplied {
      row.at = util::nowRfc3339();
      if (!s.execute(kRefundExists, {row.id}).empty()) {
        return {Outcome::kDuplicate, loadOrder(s, order_id), {}, false, 0};
      }
      const std::int64_t settled = refund.settled ? 1 : 0;
      const sql::Query add_refunded{"orders.add_refunded", addRefundedText()};
      if (s.execute(add_refunded, {order_id, row.amount, row.at, settled}).affectedRows() != 1) {
        auto order = loadOrder(s, order_id);
        if (!order) return {Outcome::kNoOrder, std::nullopt, {}, false, 0};
        const bool refundable = canTransition(order->status, OrderStatus::kRefunded);
        return {
            refundable ? Outcome::kOverTotal : Outcome::kStatus, std::move(order), {}, false, 0};
      }
      for (std::size_t i = 0; i < row.lines.size(); ++i) {
        const auto& line = row.lines[i];
        if (s.execute(kAddLineRefunded, {order_id, line.sku, line.quantity}).affectedRows() == 0) {
          throw LineRefused{i};  // rolls the whole refund back
        }
      }
      s.execute(kInsertRefund, {row.id, order_id, row.amount, refundLinesJson(row.lines),
                                row.reason, row.by, row.at, settled});
      // Money that moved already (at the provider): the payment status
      // follows in the same transaction, so no reader sees one without the other.
      if (refund.settled) s.execute(kRefundPaymentStatus, {order_id});
      auto order = loadOrder(s, order_id);
      if (!order) throw std::logic_error("order " + order_id + " vanished during a refund");
      s.execute(kAppendTimeline, {order_id, statusName(order->status), refund.note, row.at});
      order->timeline.push_back(TimelineEntry{order->status, row.at, refund.note});
      const bool full = order->status == OrderStatus::kRefunded;
      outbox_.add(s, "order.refunded", refundEventPayload(*order, row, full));
      return {Outcome::kApplied, std::move(order), row, full, 0};
    });
  } catch (const LineRefused& refused) {
    return {Outcome::kLineQuantity, find(order_id), {}, false, refused.index};
  }
  if (result.outcome == Outcome::kApplied) outbox_.committed();
  return result;
}

void OrderStore::settleRefund(const std::string& order_id, const std::string& refund_id) {
  db_.write([&](sql::Session& s) {
    s.execute(kSettleRefund, {refund_id, order_id});
    s.execute(kRefundPaymentStatus, {order_id});
    s.execute(kClearRefundEffect, {order_id});
  });
}

void OrderStore::clearEffects(const std::string& order_id, StockEffect stock, PaymentEffect payment,
                              const std::optional<std::string>& payment_status, bool cart) {
  static constexpr sql::Query kClearCart{
      "orders.clear_cart_effect",
      "UPDATE orders SET cart_effect = '' WHERE id = $1 AND cart_effect = 'empty'"};
  static constexpr sql::Query kClearStock{
      "orders.clear_stock_effect",
      "UPDATE orders SET stock_effect = '' WHERE id = $1 AND stock_effect = $2"};
  static constexpr sql::Query kClearPayment{
      "orders.clear_payment_effect",
      "UPDATE orders SET payment_effect = '', payment_status = COALESCE($3, payment_status) "
      "WHERE id = $1 AND payment_effect = $2"};
  db_.write([&](sql::Session& s) {
    if (cart) s.execute(kClearCart, {order_id});
    if (stock != StockEffect::kNone) s.execute(kClearStock, {order_id, stockEffectName(stock)});
    if (payment != PaymentEffect::kNone) {
      const sql::Param status =
          payment_status ? sql::Param(std::string_view(*payment_status)) : sql::Param(nullptr);
      s.execute(kClearPayment, {order_id, paymentEffectName(payment), status});
    }
  });
}

std::optional<Order> OrderStore::find(const std::string& order_id) {
  return db_.read([&](sql::Session& s) { return loadOrder(s, order_id); });
}

std::vector<Order> OrderStore::listForUser(const std::string& user_id,
                                           const std::optional<std::string>& before_id,
                                           std::size_t limit) {
  const auto n = static_cast<std::int64_t>(limit);
  return db_.read([&](sql::Session& s) {
    return readOrders(before_id ? s.execute(kUserBefore, {user_id, n, *before_id})
                                : s.execute(kUserFirst, {user_id, n}));
  });
}

std::vector<Order> OrderStore::listAll(std::optional<OrderStatus> status,
                                       const std::optional<std::string>& before_id,
                                       std::size_t limit) {
  const auto n = static_cast<std::int64_t>(limit);
  return db_.read([&](sql::Session& s) {
    if (status) {
      const auto name = statusName(*status);
      return readOrders(before_id ? s.execute(kStatusBefore, {n, name, *before_id})
                                  : s.execute(kStatusFirst, {n, name}));
    }
    return readOrders(before_id ? s.execute(kAllBefore, {n, *before_id})
                                : s.execute(kAllFirst, {n}));
  });
}

std::vector<std::string> OrderStore::stalePending(const std::string& before, std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    std::vector<std::string> ids;
    for (const auto& row : s.execute(kStalePending, {before, static_cast<std::int64_t>(limit)})) {
      ids.push_back(row.getText(0));
    }
    return ids;
  });
}

std::vector<std::string> OrderStore::owingEffects(const std::string& before, std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    std::vector<std::string> ids;
    for (const auto& row : s.execute(kOwingEffects, {before, static_cast<std::int64_t>(limit)})) {
      ids.push_back(row.getText(0));
    }
    return ids;
  });
}

std::vector<IdempotencyRef> OrderStore::unlinkedKeys(const std::string& before, std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    std::vector<IdempotencyRef> refs;
    for (const auto& row : s.execute(kUnlinkedKeys, {before, static_cast<std::int64_t>(limit)})) {
      refs.push_back(IdempotencyRef{row.getText(0), row.getText(1)});
    }
    return refs;
  });
}

bool OrderStore::releaseUnlinkedKey(const IdempotencyRef& ref) {
  return db_.write([&](sql::Session& s) {
    return s.execute(kReleaseUnlinkedKey, {ref.user_id, ref.key}).affectedRows() == 1;
  });
}

std::optional<IdempotencyRef> OrderStore::keyForOrder(const std::string& order_id) {
  return db_.read([&](sql::Session& s) -> std::optional<IdempotencyRef> {
    const auto rows = s.execute(kKeyForOrder, {order_id});
    if (rows.empty()) return std::nullopt;
    return IdempotencyRef{rows[0].getText(0), rows[0].getText(1)};
  });
}

}  // namespace emporium::orders
