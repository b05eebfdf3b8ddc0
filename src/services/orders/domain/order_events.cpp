#include "services/orders/domain/order_events.hpp"

#include "core/json/money.hpp"
#include "core/json/writer.hpp"
#include "services/orders/http/render.hpp"

namespace emporium::orders {

std::optional<std::string_view> eventTypeFor(OrderStatus status) {
  switch (status) {
    case OrderStatus::kConfirmed:
      return "order.confirmed";
    case OrderStatus::kShipped:
      return "order.shipped";
    case OrderStatus::kDelivered:
      return "order.delivered";
    case OrderStatus::kCancelled:
      return "order.cancelled";
    case OrderStatus::kRefunded:
      return "order.refunded";
    case OrderStatus::kPending:
    case OrderStatus::kFailed:  // a refused checkout: the buyer got the answer, not a mail
      break;
  }
  return std::nullopt;
}

std::string orderEventPayload(const Order& order) {
  json::Writer w;
  w.startObject().member("user_id", order.user_id).key("order").raw(renderOrder(order)).endObject();
  return w.str();
}

std::string refundEventPayload(const Order& order, const Refund& refund, bool full) {
  json::Writer w;
  w.startObject().member("user_id", order.user_id).key("order").raw(renderOrder(order));
  w.key("refund").startObject().member("id", refund.id);
  json::writeMoney(w, "amount", refund.amount, order.currency)
      .member("full", full)
      .member("reason", refund.reason)
      .member("by", refund.by)
      .endObject();
  w.endObject();
  return w.str();
}

}  // namespace emporium::orders
