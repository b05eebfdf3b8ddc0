#include "services/inventory/remote_client.hpp"

#include <stdexcept>
#include <utility>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "services/inventory/http/wire.hpp"

namespace emporium::inventory {
RemoteClient::RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
                           std::chrono::milliseconds timeout)
    : caller_(http, "inventory", std::string(wire::kPrefix), std::move(urls), std::move(secret),
              timeout) {}

std::string RemoteClient::call(std::string_view method, std::string_view name, std::string body,
                               int expected) {
  auto answer = caller_.call(method, name, std::move(body), /*idempotent=*/true);
  if (answer.status == 422 && name == "import") {
    // The contract's answer to a negative on_hand.
    throw std::invalid_argument("inventory refused the import: " + answer.body);
  }
  if (answer.status != expected) caller_.unexpected(name, answer);
  return std::move(answer.body);
}

std::vector<StockLevel> RemoteClient::levels(std::span<const std::string> skus) {
  json::Writer out;
  out.startObject().key("skus");
  wire::writeStrings(out, skus);
  out.endObject();
  return caller_.read(call("POST", "levels", out.str(), 200), [](const rapidjson::Value& root) {
    return wire::readLevels(wire::member(root, "levels"), "levels");
  });
}

ReserveResult RemoteClient::reserve(const std::string& order_id,
                                    std::span<const ReservationLine> lines,
                                    std::chrono::seconds hold_for) {
  json::Writer out;
  out.startObject().member("order_id", order_id).key("lines");
  wire::writeLines(out, lines);
  out.member("hold_for_s", static_cast<std::int64_t>(hold_for.count())).endObject();
  return caller_.read(call("POST", "reserve", out.str(), 200), [](const rapidjson::Value& root) {
    return ReserveResult{json::wire::boolOf(root, "reserved"),
                         wire::readStrings(wire::member(root, "short_skus"), "short_skus")};
  });
}

bool RemoteClient::confirm(const std::string& order_id) {
  return caller_.read(call("POST", "confirm", json::wire::objectWith("order_id", order_id), 200),
                      [](const rapidjson::Value& root) {
                        const auto& confirmed = wire::member(root, "confirmed");
                        if (!confirmed.IsBool()) {
                          throw wire::ShapeError("confirmed", "must be true or false");
                        }
                        return confirmed.GetBool();
                      });
}

void RemoteClient::fulfil(const std::string& order_id) {
  call("POST", "fulfil", json::wire::objectWith("order_id", order_id), 204);
}

void RemoteClient::release(const std::string& order_id) {
  call("POST", "release", json::wire::objectWith("order_id", order_id), 204);
}

void RemoteClient::returnToStock(const std::string& key, std::span<const ReservationLine> lines) {
  json::Writer out;
  out.startObject().member("key", key).key("lines");
  wire::writeLines(out, lines);
  out.endObject();
  call("POST", "return", out.str(), 204);
}

SetOnHandResult RemoteClient::setOnHand(const std::string& sku, std::int64_t on_hand) {
  json::Writer out;
  out.startObject().member("sku", sku).member("on_hand", on_hand).endObject();
  return caller_.read(call("POST", "on-hand", out.str(), 200), [](const rapidjson::Value& root) {
    const auto& status = wire::member(root, "status");
    if (!status.IsString()) throw wire::ShapeError("status", "must be a string");
    return SetOnHandResult{
        wire::readSetOnHandStatus({status.GetString(), status.GetStringLength()}, "status"),
        wire::readLevel(wire::member(root, "level"), "level")};
  });
}

std::int64_t RemoteClient::importMissing(std::span<const StockLevel> levels) {
  json::Writer out;
  out.startObject().key("levels");
  wire::writeLevels(out, levels);
  out.endObject();
  return caller_.read(call("POST", "import", out.str(), 200), [](const rapidjson::Value& root) {
    return json::wire::intOf(root, "created");
  });
}

std::int64_t RemoteClient::count() {
  return caller_.read(call("GET", "count", "", 200), [](const rapidjson::Value& root) {
    return json::wire::intOf(root, "count");
  });
}

}  // namespace emporium::inventory
