#include "services/orders/http/render.hpp"

#include "core/json/money.hpp"
#include "core/json/writer.hpp"

namespace emporium::orders {
namespace {

void totals(json::Writer& w, const Order& o) {
  w.key("totals").startObject();
  json::writeMoney(w, "subtotal", o.totals.subtotal, o.currency);
  json::writeMoney(w, "shipping", o.totals.shipping, o.currency);
  json::writeMoney(w, "tax", o.totals.tax, o.currency);
  json::writeMoney(w, "total", o.totals.total, o.currency);
  w.endObject();
}

void header(json::Writer& w, const Order& o) {
  w.member("id", o.id).member("number", o.number).member("status", statusName(o.status));
  totals(w, o);
  w.key("payment")
      .startObject()
      .member("method", o.payment_method)
      .member("status", o.payment_status);
  if (!o.payment_id.empty()) w.member("id", o.payment_id);
  w.endObject();
  w.member("item_count", o.item_count);
  json::writeMoney(w, "refunded_total", o.refunded_total, o.currency);
  w.member("created_at", o.created_at).member("updated_at", o.updated_at);
}

}  // namespace

std::string renderOrder(const Order& o) {
  json::Writer w;
  w.startObject();
  header(w, o);
  w.key("items").startArray();
  for (const auto& line : o.lines) {
    w.startObject()
        .member("sku", line.sku)
        .member("product_id", std::to_string(line.product_id))
        .member("title", line.title)
        .member("quantity", line.quantity);
    json::writeMoney(w, "unit_price", line.unit_price, o.currency);
    json::writeMoney(w, "line_total", line.line_total, o.currency);
    w.endObject();
  }
  w.endArray();
  const auto& a = o.shipping_address;
  w.key("shipping_address").startObject().member("name", a.name).member("line1", a.line1);
  if (a.line2) w.member("line2", *a.line2);
  w.member("city", a.city);
  if (a.region) w.member("region", *a.region);
  w.member("postal_code", a.postal_code).member("country", a.country).endObject();
  w.key("timeline").startArray();
  for (const auto& entry : o.timeline) {
    w.startObject()
        .member("status", statusName(entry.status))
        .member("at", entry.at)
        .member("note", entry.note)
        .endObject();
  }
  w.endArray();
  w.key("refunds").startArray();
  for (const auto& refund : o.refunds) {
    w.startObject().member("id", refund.id);
    json::writeMoney(w, "amount", refund.amount, o.currency);
    w.key("lines").startArray();
    for (const auto& line : refund.lines) {
      w.startObject()
          .member("sku", line.sku)
          .member("quantity", line.quantity)
          .member("returned", line.returned)
          .endObject();
    }
    w.endArray();
    w.member("reason", refund.reason).member("by", refund.by).member("at", refund.at).endObject();
  }
  w.endArray();
  if (o.carrier && o.tracking_number) {
    w.key("shipment")
        .startObject()
        .member("carrier", *o.carrier)
        .member("tracking_number", *o.tracking_number)
        .endObject();
  }
  w.endObject();
  return w.str();
}

std::string renderOrderList(const std::vector<Order>& orders, const std::string* next_cursor) {
  json::Writer w;
  w.startObject().key("items").startArray();
  for (const auto& o : orders) {
    w.startObject();
    header(w, o);
    w.endObject();
  }
  w.endArray();
  w.key("next_cursor");
  if (next_cursor) {
    w.value(*next_cursor);
  } else {
    w.null();
  }
  w.endObject();
  return w.str();
}

}  // namespace emporium::orders
