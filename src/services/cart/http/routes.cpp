#include "services/cart/http/routes.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/http/api_error.hpp"
#include "core/json/body.hpp"
#include "core/json/money.hpp"
#include "core/json/writer.hpp"

namespace emporium::cart {
namespace {

using json::writeMoney;

using http::ApiError;

// The catalog's SKU alphabet. Checked before any query, so arbitrary path
// bytes (bad UTF-8, NUL) never reach the database.
bool isSku(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

ApiError cartNotFound() { return ApiError::notFound("no such cart"); }

ApiError skuNotFound(const std::string& sku) {
  return ApiError(404, "not-found", "Not Found", "no product is sold under SKU " + sku,
                  {{"sku", "is not a SKU the shop sells"}});
}

Caller callerOf(const http::Request& req) {
  if (req.principal) return req.principal->user_id;
  return std::nullopt;
}

std::string cartIdParam(const http::Request& req) {
  std::string id(req.pathParam("cart_id"));
  if (!isCartId(id)) throw cartNotFound();
  return id;
}

std::string renderCart(const CartView& view) {
  json::Writer w;
  w.startObject().member("id", view.id).key("items").startArray();
  for (const auto& item : view.items) {
    w.startObject()
        .member("sku", item.sku)
        .member("product_id", std::to_string(item.product_id))
        .member("title", item.title)
        .member("quantity", item.quantity);
    writeMoney(w, "unit_price", item.unit_price, item.currency);
    writeMoney(w, "line_total", item.line_total, item.currency);
    w.member("available", item.available).member("in_stock", item.in_stock).endObject();
  }
  w.endArray().member("item_count", view.item_count);
  writeMoney(w, "subtotal", view.subtotal, view.currency);
  w.endObject();
  return w.str();
}

http::Response cartResponse(CartService& service, const std::string& cart_id, const Caller& caller,
                            int status = 200) {
  const auto view = service.view(cart_id, caller);
  if (!view) throw cartNotFound();
  return http::Response::json(status, renderCart(*view)).withHeader("Cache-Control", "no-store");
}

/// quantity from a body: an integer in [min, kMaxQuantity], else 422 naming it.
std::int64_t quantityField(const json::Body& body, std::int64_t min) {
  const std::string rule =
      "must be a whole number from " + std::to_string(min) + " to " + std::to_string(kMaxQuantity);
  const auto it = body.root().FindMember("quantity");
  if (it == body.root().MemberEnd() || it->value.IsNull()) {
    throw ApiError::validation("quantity", "is required");
  }
  if (!it->value.IsInt64()) throw ApiError::validation("quantity", rule);
  const std::int64_t quantity = it->value.GetInt64();
  if (quantity < min || quantity > kMaxQuantity) throw ApiError::validation("quantity", rule);
  return quantity;
}

/// Turns a refused change into the problem the contract names.
void throwIfRefused(const CartChange& change, const std::string& sku) {
  switch (change.problem) {
    case CartProblem::kNone:
      return;
    case CartProblem::kCartNotFound:
      throw cartNotFound();
    case CartProblem::kUnknownSku:
      throw skuNotFound(sku);
    case CartProblem::kLineNotFound:
      throw ApiError::notFound("the cart has no line for SKU " + sku);
    case CartProblem::kQuantityOverLimit:
      throw ApiError::validation(
          "quantity", "would make more than " + std::to_string(kMaxQuantity) + " of SKU " + sku);
    case CartProblem::kNotEnoughStock:
      throw ApiError::validation(
          "quantity",
          "is more than the " + std::to_string(change.available) + " available of SKU " + sku);
    case CartProblem::kTooManyLines:
      throw ApiError::validation(
          "sku", "the cart already holds " + std::to_string(kMaxLines) + " different products");
  }
}

http::Response addItem(CartService& service, events::ActivityLog& activity,
                       const http::Request& req) {
  const std::string cart_id = cartIdParam(req);
  const auto body = json::Body::parse(req);
  const std::string sku = body.requireString("sku");
  const std::int64_t quantity = quantityField(body, 1);
  if (!isSku(sku)) {
    if (!service.usable(cart_id, callerOf(req))) throw cartNotFound();
    throw skuNotFound(sku);
  }
  const Caller caller = callerOf(req);
  const auto change = service.addItem(cart_id, caller, sku, quantity);
  throwIfRefused(change, sku);
  json::Writer w;
  w.startObject().member("cart_id", cart_id).member("sku", sku).member("quantity", quantity);
  if (req.principal) w.member("user_id", req.principal->user_id);
  w.endObject();
  activity.record("activity.cart_item_added", w.str());
  return cartResponse(service, cart_id, caller, change.created_line ? 201 : 200);
}

http::Response setQuantity(CartService& service, const http::Request& req) {
  const std::string cart_id = cartIdParam(req);
  const std::string sku(req.pathParam("sku"));
  const auto body = json::Body::parse(req);
  const std::int64_t quantity = quantityField(body, 0);
  const Caller caller = callerOf(req);
  if (!isSku(sku)) {
    if (!service.usable(cart_id, caller)) throw cartNotFound();
    throw ApiError::notFound("the cart has no line for that SKU");
  }
  throwIfRefused(service.setQuantity(cart_id, caller, sku, quantity), sku);
  return cartResponse(service, cart_id, caller);
}

http::Response removeItem(CartService& service, const http::Request& req) {
  const std::string cart_id = cartIdParam(req);
  const std::string sku(req.pathParam("sku"));
  const Caller caller = callerOf(req);
  // Idempotent: removing a line that is not there is done already (204),
  // but the cart itself must be one the caller may use.
  const bool usable =
      isSku(sku) ? service.removeItem(cart_id, caller, sku) : service.usable(cart_id, caller);
  if (!usable) throw cartNotFound();
  return http::Response::noContent();
}

http::Response merge(CartService& service, const http::Request& req) {
  const auto body = json::Body::parse(req);
  const std::string guest_cart_id = body.requireString("cart_id");
  const std::string& user_id = req.user().user_id;
  if (!isCartId(guest_cart_id)) throw cartNotFound();
  const auto result = service.merge(user_id, guest_cart_id);
  if (result.outcome == MergeOutcome::kNotFound) throw cartNotFound();
  return cartResponse(service, result.user_cart_id, user_id);
}

}  // namespace

void addRoutes(http::Router& router, CartService& service, events::ActivityLog& activity) {
  using http::Method;
  using http::Request;
  const http::RouteOptions user{.access = http::Access::kUser};

  router.add(Method::kPost, "/api/v1/carts", [&service](Request&) {
    const std::string id = service.createGuestCart();
    auto response = cartResponse(service, id, std::nullopt, 201);
    response.withHeader("Location", "/api/v1/carts/" + id);
    return response;
  });
  router.add(
      Method::kGet, "/api/v1/me/cart",
      [&service](Request& req) {
        const std::string& user_id = req.user().user_id;
        return cartResponse(service, service.userCart(user_id), user_id);
      },
      user);
  router.add(
      Method::kPost, "/api/v1/me/cart/merge",
      [&service](Request& req) { return merge(service, req); }, user);
  router.add(Method::kGet, "/api/v1/carts/{cart_id}", [&service](Request& req) {
    return cartResponse(service, cartIdParam(req), callerOf(req));
  });
  router.add(Method::kPost, "/api/v1/carts/{cart_id}/items",
             [&service, &activity](Request& req) { return addItem(service, activity, req); });
  router.add(Method::kPatch, "/api/v1/carts/{cart_id}/items/{sku}",
             [&service](Request& req) { return setQuantity(service, req); });
  router.add(Method::kDelete, "/api/v1/carts/{cart_id}/items/{sku}",
             [&service](Request& req) { return removeItem(service, req); });
}

}  // namespace emporium::cart
