#include "services/orders/http/routes.hpp"

#include <cctype>

#include "core/http/api_error.hpp"
#include "core/http/field_errors.hpp"
#include "core/http/pagination.hpp"
#include "core/json/body.hpp"
#include "core/json/utf8.hpp"
#include "core/json/writer.hpp"
#include "services/orders/http/problems.hpp"
#include "services/orders/http/render.hpp"

namespace emporium::orders {
namespace {

constexpr std::size_t kMaxIdempotencyKey = 255;

using Validation = http::FieldErrors;

// Free text: required or not, bounded, valid UTF-8 without control characters.
void checkText(Validation& v, const std::string& field, const std::optional<std::string>& value,
               std::size_t max, bool required) {
  if (!value || value->empty()) {
    if (required) v.fail(field, "is required");
    return;
  }
  if (value->size() > max) {
    return v.fail(field, "must be at most " + std::to_string(max) + " bytes");
  }
  for (const unsigned char c : *value) {
    if (c < 0x20 || c == 0x7f) return v.fail(field, "must not contain control characters");
  }
}

// The rule saved addresses obey too (core/util/postal_address.hpp).
ShippingAddress parseAddress(const json::Body& a, Validation& v) {
  ShippingAddress out;
  const auto required = [&](std::string_view name) { return a.optionalString(name).value_or(""); };
  out.name = required("name");
  out.line1 = required("line1");
  out.line2 = a.optionalString("line2");
  out.city = required("city");
  out.region = a.optionalString("region");
  out.postal_code = required("postal_code");
  out.country = required("country");
  for (auto& problem : util::checkPostalAddress(out)) {
    v.fail("shipping_address." + problem.field, std::move(problem.message));
  }
  return out;
}

std::string idempotencyKey(const http::Request& req) {
  const std::string_view key = req.header("Idempotency-Key");
  if (key.empty()) {
    throw http::ApiError::badRequest(
        "an Idempotency-Key header is required: a unique value per checkout, repeated on retries",
        {{"Idempotency-Key", "is required"}});
  }
  if (key.size() > kMaxIdempotencyKey) {
    throw http::ApiError::badRequest("the Idempotency-Key header is too long",
                                     {{"Idempotency-Key", "must be at most 255 characters"}});
  }
  for (const unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) {
      throw http::ApiError::badRequest("the Idempotency-Key header has invalid characters",
                                       {{"Idempotency-Key", "must be visible ASCII"}});
    }
  }
  return std::string(key);
}

http::Response placeOrder(OrderService& service, http::Request& req) {
  const std::string key = idempotencyKey(req);
  const auto body = json::Body::parse(req);
  Validation v;
  CheckoutRequest checkout;
  checkout.user_id = req.user().user_id;
  checkout.idempotency_key = key;
  checkout.client_address = std::string(req.client_ip);
  const auto cart_id = body.optionalString("cart_id");
  checkText(v, "cart_id", cart_id, 100, true);
  checkout.cart_id = cart_id.value_or("");
  const bool has_address = body.has("shipping_address");
  const bool has_address_id = body.has("address_id");
  if (has_address && has_address_id) {
    v.fail("address_id", "send either shipping_address or address_id, not both");
  } else if (has_address) {
    checkout.shipping_address = parseAddress(body.requireObject("shipping_address"), v);
  } else if (has_address_id) {
    checkout.address_id = body.optionalString("address_id");
    checkText(v, "address_id", checkout.address_id, 100, true);
  } else {
    v.fail("shipping_address", "is required (or address_id, a saved address)");
  }
  if (!body.has("payment")) {
    v.fail("payment",
           "is required: {\"method\": \"card\", \"token\": ...}, "
           "{\"method\": \"gift_card\", \"code\": ...} or {\"method\": \"cod\"}");
  } else {
    const auto payment = body.requireObject("payment");
    const auto method_name = payment.optionalString("method").value_or("");
    const auto method = payments::parseMethod(method_name);
    if (!method) {
      v.fail("payment.method", R"(must be "card", "gift_card" or "cod")");
    } else {
      checkout.method = *method;
      if (*method == payments::Method::kCard) {
        const auto token = payment.optionalString("token");
        checkText(v, "payment.token", token, 200, true);
        checkout.card_token = token.value_or("");
      } else if (*method == payments::Method::kGiftCard) {
        const auto code = payment.optionalString("code");
        checkText(v, "payment.code", code, 64, true);
        checkout.gift_card_code = code.value_or("");
      }
    }
  }
  v.throwIfAny();
  return service.place(checkout, req.path, req.request_id);
}

http::Response orderJson(const Order& order) {
  return http::Response::json(200, renderOrder(order));
}

// A transition's outcome: the order as it is now, or the problem it was refused with.
http::Response orderJson(const util::Result<Order, OrderError>& changed) {
  if (!changed) throw toProblem(changed.error());
  return orderJson(changed.value());
}

http::Response listPage(std::vector<Order> orders, std::size_t limit) {
  std::optional<std::string> next;
  if (orders.size() > limit) {
    orders.resize(limit);
    next = http::encodeCursor(orders.back().id);
  }
  return http::Response::json(200, renderOrderList(orders, next ? &*next : nullptr));
}

http::Response myOrders(OrderService& service, http::Request& req) {
  const std::size_t limit = http::pageLimit(req);
  const auto cursor = http::pageCursor(req);
  return listPage(service.store().listForUser(req.user().user_id, cursor, limit + 1), limit);
}

http::Response myOrder(OrderService& service, http::Request& req) {
  const std::string id(req.pathParam("id"));
  const auto order = service.orderFor(req.user().user_id, id);
  if (!order) throw http::ApiError::notFound("no order " + id);
  return orderJson(*order);
}

http::Response cancelOrder(OrderService& service, http::Request& req) {
  return orderJson(service.cancel(std::string(req.pathParam("id")), req.user().user_id));
}

http::Response adminOrders(OrderService& service, http::Request& req) {
  std::optional<OrderStatus> status;
  if (const auto raw = req.queryParam("status"); raw && !raw->empty()) {
    status = parseStatus(*raw);
    if (!status) {
      throw http::ApiError::validation(
          "status",
          "must be one of pending, confirmed, shipped, delivered, cancelled, refunded, failed");
    }
  }
  const std::size_t limit = http::pageLimit(req);
  const auto cursor = http::pageCursor(req);
  return listPage(service.store().listAll(status, cursor, limit + 1), limit);
}

http::Response adminOrder(OrderService& service, http::Request& req) {
  const std::string id(req.pathParam("id"));
  const auto order = service.order(id);
  if (!order) throw http::ApiError::notFound("no order " + id);
  return orderJson(*order);
}

http::Response shipOrder(OrderService& service, http::Request& req) {
  const auto body = json::Body::parse(req);
  Validation v;
  const auto carrier = body.optionalString("carrier");
  const auto tracking = body.optionalString("tracking_number");
  checkText(v, "carrier", carrier, 100, true);
  checkText(v, "tracking_number", tracking, 100, true);
  v.throwIfAny();
  return orderJson(service.ship(std::string(req.pathParam("id")), *carrier, *tracking));
}

// Money in a request, as the contract writes it: {"amount": minor units,
// "currency"} (a bare integer of minor units is accepted too, as in admin
// product prices). The currency, when given, must be the order's; that is
// checked by the caller, who knows the order.
std::optional<std::int64_t> moneyField(const rapidjson::Value& value, const std::string& field,
                                       Validation& v, std::optional<std::string>& currency) {
  const rapidjson::Value* amount = &value;
  if (value.IsObject()) {
    const auto it = value.FindMember("amount");
    amount = it == value.MemberEnd() ? nullptr : &it->value;
    if (const auto c = value.FindMember("currency"); c != value.MemberEnd()) {
      if (!c->value.IsString()) {
        v.fail(field + ".currency", "must be an ISO 4217 code such as \"USD\"");
      } else {
        currency = std::string(c->value.GetString(), c->value.GetStringLength());
      }
    }
  }
  if (amount == nullptr || !amount->IsInt64() || amount->GetInt64() <= 0) {
    v.fail(field, R"(must be money: {"amount": minor units above 0, "currency"})");
    return std::nullopt;
  }
  return amount->GetInt64();
}

// [{sku, quantity, returned?}]
std::vector<RefundLine> refundLines(const rapidjson::Value& value, Validation& v) {
  std::vector<RefundLine> lines;
  constexpr rapidjson::SizeType kMaxLines = 100;
  if (!value.IsArray() || value.Empty() || value.Size() > kMaxLines) {
    v.fail("lines", "must be an array of 1 to 100 {sku, quantity, returned?}");
    return lines;
  }
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    const std::string at = "lines[" + std::to_string(i) + "]";
    const auto& item = value[i];
    if (!item.IsObject()) {
      v.fail(at, "must be an object {sku, quantity, returned?}");
      continue;
    }
    RefundLine line;
    const auto sku = item.FindMember("sku");
    if (sku == item.MemberEnd() || !sku->value.IsString() || sku->value.GetStringLength() == 0 ||
        sku->value.GetStringLength() > 100) {
      v.fail(at + ".sku", "is required: the SKU of a line of the order");
    } else {
      line.sku = std::string(sku->value.GetString(), sku->value.GetStringLength());
    }
    const auto quantity = item.FindMember("quantity");
    if (quantity == item.MemberEnd() || !quantity->value.IsInt64() ||
        quantity->value.GetInt64() < 1) {
      v.fail(at + ".quantity", "must be a whole number of units, 1 or more");
    } else {
      line.quantity = quantity->value.GetInt64();
    }
    if (const auto returned = item.FindMember("returned"); returned != item.MemberEnd()) {
      if (!returned->value.IsBool()) {
        v.fail(at + ".returned", "must be true or false");
      } else {
        line.returned = returned->value.GetBool();
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// {amount?, lines?, reason?}: what is left of the order when amount and lines
// are absent; by amount, by lines, or both (see OrderService::refund).
http::Response refundOrder(OrderService& service, http::Request& req) {
  const std::string id(req.pathParam("id"));
  RefundRequest refund;
  refund.by = req.user().user_id;
  if (!req.body.empty()) {
    const auto body = json::Body::parse(req);
    Validation v;
    std::optional<std::string> currency;
    const auto& root = body.root();
    if (const auto it = root.FindMember("amount"); it != root.MemberEnd()) {
      refund.amount = moneyField(it->value, "amount", v, currency);
    }
    if (const auto it = root.FindMember("lines"); it != root.MemberEnd()) {
      refund.lines = refundLines(it->value, v);
    }
    const auto reason = body.optionalString("reason");
    checkText(v, "reason", reason, 500, false);
    refund.reason = reason.value_or("");
    if (currency) {
      const auto order = service.order(id);
      if (order && *currency != order->currency) {
        v.fail("amount.currency", "must be the order's currency, " + order->currency);
      }
    }
    v.throwIfAny();
  }
  return orderJson(service.refund(id, refund));
}

// Analytics: the first answer only, never a replay of the key.
void recordPlaced(events::ActivityLog& activity, const http::Request& req,
                  const http::Response& response) {
  std::string order_id;
  for (const auto& [name, value] : response.headers) {
    if (name == "Idempotent-Replayed") return;
    if (name == "Location") order_id = value.substr(value.rfind('/') + 1);
  }
  json::Writer w;
  w.startObject().member("order_id", order_id).member("user_id", req.user().user_id).endObject();
  activity.record("activity.order_placed", w.str());
}

}  // namespace

void addRoutes(http::Router& router, OrderService& service, events::ActivityLog& activity) {
  using http::Access;
  using http::Execution;
  using http::Method;
  const http::RouteOptions user{Execution::kBlocking, Access::kUser, true};
  const http::RouteOptions admin{Execution::kBlocking, Access::kAdmin, true};
  auto* s = &service;
  router.add(
      Method::kPost, "/api/v1/orders",
      [s, &activity](http::Request& r) {
        auto response = placeOrder(*s, r);
        if (response.status == 201) recordPlaced(activity, r, response);
        return response;
      },
      user);
  router.add(
      Method::kGet, "/api/v1/orders", [s](http::Request& r) { return myOrders(*s, r); }, user);
  router.add(
      Method::kGet, "/api/v1/orders/{id}", [s](http::Request& r) { return myOrder(*s, r); }, user);
  router.add(
      Method::kPost, "/api/v1/orders/{id}/cancel",
      [s](http::Request& r) { return cancelOrder(*s, r); }, user);
  router.add(
      Method::kGet, "/api/v1/admin/orders", [s](http::Request& r) { return adminOrders(*s, r); },
      admin);
  router.add(
      Method::kGet, "/api/v1/admin/orders/{id}",
      [s](http::Request& r) { return adminOrder(*s, r); }, admin);
  router.add(
      Method::kPost, "/api/v1/admin/orders/{id}/ship",
      [s](http::Request& r) { return shipOrder(*s, r); }, admin);
  router.add(
      Method::kPost, "/api/v1/admin/orders/{id}/deliver",
      [s](http::Request& r) { return orderJson(s->deliver(std::string(r.pathParam("id")))); },
      admin);
  router.add(
      Method::kPost, "/api/v1/admin/orders/{id}/refund",
      [s](http::Request& r) { return refundOrder(*s, r); }, admin);
  router.add(
      Method::kPost, "/api/v1/admin/orders/{id}/cancel",
      [s](http::Request& r) {
        return orderJson(s->cancel(std::string(r.pathParam("id")), std::nullopt));
      },
      admin);
}

}  // namespace emporium::orders
