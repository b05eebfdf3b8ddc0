#include "services/inventory/http/internal_routes.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/http/api_error.hpp"
#include "core/http/internal_route.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "services/inventory/http/wire.hpp"

namespace emporium::inventory {
namespace {

// Longer than any checkout holds stock (orders hold for minutes).
constexpr std::int64_t kMaxHoldSeconds = std::int64_t{7} * 24 * 3600;

using Handler = http::Response (*)(Client&, const json::Body&);

http::Response ok(const json::Writer& out) { return http::internalAnswer(out.str()); }

http::Response levels(Client& inventory, const json::Body& body) {
  const auto skus = wire::readStrings(wire::member(body.root(), "skus"), "skus");
  json::Writer out;
  out.startObject().key("levels");
  wire::writeLevels(out, inventory.levels(skus));
  out.endObject();
  return ok(out);
}

http::Response reserve(Client& inventory, const json::Body& body) {
  const std::string order_id = body.requireString("order_id");
  const auto lines = wire::readLines(wire::member(body.root(), "lines"), "lines");
  const std::int64_t hold_for = body.requireInt("hold_for_s");
  if (hold_for <= 0 || hold_for > kMaxHoldSeconds) {
    throw http::ApiError::validation("hold_for_s", "must be from 1 to 604800 seconds");
  }
  for (const auto& line : lines) {
    if (line.quantity <= 0)
      throw http::ApiError::validation("lines", "quantities must be positive");
  }
  const ReserveResult result = inventory.reserve(order_id, lines, std::chrono::seconds(hold_for));
  json::Writer out;
  out.startObject().member("reserved", result.reserved).key("short_skus");
  wire::writeStrings(out, result.short_skus);
  out.endObject();
  return ok(out);
}

http::Response confirm(Client& inventory, const json::Body& body) {
  json::Writer out;
  out.startObject()
      .member("confirmed", inventory.confirm(body.requireString("order_id")))
      .endObject();
  return ok(out);
}

http::Response fulfil(Client& inventory, const json::Body& body) {
  inventory.fulfil(body.requireString("order_id"));
  return http::Response::noContent();
}

http::Response release(Client& inventory, const json::Body& body) {
  inventory.release(body.requireString("order_id"));
  return http::Response::noContent();
}

http::Response giveBack(Client& inventory, const json::Body& body) {
  const std::string key = body.requireString("key");
  inventory.returnToStock(key, wire::readLines(wire::member(body.root(), "lines"), "lines"));
  return http::Response::noContent();
}

http::Response setOnHand(Client& inventory, const json::Body& body) {
  const SetOnHandResult result =
      inventory.setOnHand(body.requireString("sku"), body.requireInt("on_hand"));
  json::Writer out;
  out.startObject().member("status", wire::setOnHandStatusName(result.status)).key("level");
  wire::writeLevel(out, result.level);
  out.endObject();
  return ok(out);
}

http::Response importMissing(Client& inventory, const json::Body& body) {
  const auto levels = wire::readLevels(wire::member(body.root(), "levels"), "levels");
  std::int64_t created = 0;
  try {
    created = inventory.importMissing(levels);
  } catch (const std::invalid_argument& error) {
    throw http::ApiError::validation("levels", error.what());
  }
  json::Writer out;
  out.startObject().member("created", created).endObject();
  return ok(out);
}

}  // namespace

void addInternalRoutes(http::Router& router, Client& inventory,
                       const http::ServiceCredential& credential) {
  const std::pair<const char*, Handler> calls[] = {
      {"levels", levels},   {"reserve", reserve}, {"confirm", confirm},   {"fulfil", fulfil},
      {"release", release}, {"return", giveBack}, {"on-hand", setOnHand}, {"import", importMissing},
  };
  for (const auto& [name, handler] : calls) {
    http::addInternalRoute(router, std::string(wire::kPrefix) + "/" + name, credential,
                           [&inventory, handler = handler](const json::Body& body) {
                             return handler(inventory, body);
                           });
  }
  http::addInternalRoute(router, std::string(wire::kPrefix) + "/count", credential, [&inventory] {
    json::Writer out;
    out.startObject().member("count", inventory.count()).endObject();
    return ok(out);
  });
}

}  // namespace emporium::inventory
