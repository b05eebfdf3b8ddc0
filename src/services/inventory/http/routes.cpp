#include "services/inventory/http/routes.hpp"

#include <algorithm>
#include <string>

#include "core/http/api_error.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"

namespace emporium::inventory {
namespace {

// The catalog's largest accepted stock figure; more is surely a typo.
constexpr std::int64_t kMaxOnHand = 1'000'000'000;

// The catalog's SKU alphabet. Checking it first keeps arbitrary path bytes
// (bad UTF-8, NUL) away from the database, which would refuse them with a 5xx.
bool isSku(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string skuParam(const http::Request& req) {
  std::string sku(req.pathParam("sku"));
  if (!isSku(sku)) throw http::ApiError::notFound("no SKU with that code");
  return sku;
}

bool catalogKnows(catalog::Client& catalog, const std::string& sku) {
  const std::string skus[] = {sku};
  return !catalog.lookup(skus).empty();
}

http::Response levelResponse(const StockLevel& level) {
  json::Writer w;
  w.startObject()
      .member("sku", level.sku)
      .member("on_hand", level.on_hand)
      .member("reserved", level.reserved)
      .member("available", level.available())
      .endObject();
  return http::Response::json(200, w.str()).withHeader("Cache-Control", "no-store");
}

http::Response getLevel(InventoryApi& api, const http::Request& req) {
  const std::string sku = skuParam(req);
  if (auto level = api.service.level(sku)) return levelResponse(*level);
  // A SKU the catalog sells but inventory has no row for yet has no stock:
  // show it as such, consistent with PUT creating the row.
  if (catalogKnows(api.catalog, sku)) return levelResponse(StockLevel{sku, 0, 0});
  throw http::ApiError::notFound("no SKU " + sku);
}

http::Response putLevel(InventoryApi& api, const http::Request& req) {
  const std::string sku = skuParam(req);
  const auto body = json::Body::parse(req);
  const auto* on_hand = body.root().IsObject() && body.root().HasMember("on_hand")
                            ? &body.root()["on_hand"]
                            : nullptr;
  if (on_hand == nullptr || !on_hand->IsInt64() || on_hand->GetInt64() < 0 ||
      on_hand->GetInt64() > kMaxOnHand) {
    throw http::ApiError::validation("on_hand", "must be a whole number from 0 to 1000000000");
  }
  if (!api.service.level(sku) && !catalogKnows(api.catalog, sku)) {
    throw http::ApiError::notFound("no SKU " + sku);
  }
  const auto result = api.service.setOnHand(sku, on_hand->GetInt64());
  switch (result.status) {
    case SetOnHandStatus::kDone:
      return levelResponse(result.level);
    case SetOnHandStatus::kBelowReserved:
      throw http::ApiError::conflict("on_hand " + std::to_string(on_hand->GetInt64()) +
                                     " is below the " + std::to_string(result.level.reserved) +
                                     " units reserved for orders of " + sku);
    case SetOnHandStatus::kNegative:
      break;
  }
  throw http::ApiError::validation("on_hand", "must be a whole number from 0 to 1000000000");
}

}  // namespace

void addRoutes(http::Router& router, InventoryApi& api) {
  const http::RouteOptions admin{.execution = http::Execution::kBlocking,
                                 .access = http::Access::kAdmin};
  router.add(
      http::Method::kGet, "/api/v1/admin/inventory/{sku}",
      [&api](http::Request& req) { return getLevel(api, req); }, admin);
  router.add(
      http::Method::kPut, "/api/v1/admin/inventory/{sku}",
      [&api](http::Request& req) { return putLevel(api, req); }, admin);
}

}  // namespace emporium::inventory
