#include "services/inventory/remote_client.hpp"

#include <stdexcept>
#include <utility>

#include "core/http/service_credential.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "core/net/peer_error.hpp"
#include "services/inventory/http/wire.hpp"

namespace emporium::inventory {
namespace {

constexpr const char* kService = "inventory";

// The answer's body as a JSON object; a malformed one is the peer's fault.
json::Body parseAnswer(const std::string& body) {
  try {
    return json::Body::parseText(body);
  } catch (const std::exception& error) {
    throw net::PeerError(kService, std::string("unreadable answer: ") + error.what());
  }
}

template <class Read>
auto readAnswer(const std::string& body, Read read) {
  const json::Body answer = parseAnswer(body);
  try {
    return read(answer.root());
  } catch (const wire::ShapeError& error) {
    throw net::PeerError(kService, std::string("unexpected answer: ") + error.what());
  }
}

std::string orderBody(const std::string& order_id) {
  json::Writer out;
  out.startObject().member("order_id", order_id).endObject();
  return out.str();
}

}  // namespace

RemoteClient::RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
                           std::chrono::milliseconds timeout)
    : http_(http), urls_(std::move(urls)), secret_(std::move(secret)), timeout_(timeout) {
  if (urls_.empty()) throw std::invalid_argument("inventory::RemoteClient needs at least one URL");
}

std::string RemoteClient::call(const char* method, const std::string& name, std::string body,
                               int expected) {
  net::HttpCall request;
  request.method = method;
  // Round robin over the instances. A call's retries go to the instance it
  // picked; one that keeps failing opens its breaker, and its share of the
  // calls then fails fast with PeerError instead of waiting.
  const std::string& base = urls_[next_.fetch_add(1, std::memory_order_relaxed) % urls_.size()];
  request.url = base + std::string(wire::kPrefix) + "/" + name;
  request.body = std::move(body);
  request.headers.emplace_back(std::string(http::ServiceCredential::kHeader), secret_);
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.idempotent = true;  // every inventory call is idempotent (client.hpp)
  request.deadline = net::HttpCall::Clock::now() + timeout_;
  net::HttpReply reply = http_.call(request);
  if (!reply.answered()) {
    throw net::PeerError(kService, name + ": " + std::string(net::outcomeName(reply.outcome)) +
                                       (reply.error.empty() ? "" : " (" + reply.error + ")"));
  }
  if (reply.status == expected) return std::move(reply.body);
  if (reply.status == 422 && name == "import") {
    // The contract's answer to a negative on_hand.
    throw std::invalid_argument("inventory refused the import: " + reply.body);
  }
  throw net::PeerError(kService, name + " answered " + std::to_string(reply.status) + ": " +
                                     reply.body.substr(0, 200));
}

std::vector<StockLevel> RemoteClient::levels(std::span<const std::string> skus) {
  json::Writer out;
  out.startObject().key("skus");
  wire::writeStrings(out, skus);
  out.endObject();
  return readAnswer(call("POST", "levels", out.str(), 200), [](const rapidjson::Value& root) {
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
  return readAnswer(call("POST", "reserve", out.str(), 200), [](const rapidjson::Value& root) {
    const auto& reserved = wire::member(root, "reserved");
    if (!reserved.IsBool()) throw wire::ShapeError("reserved", "must be true or false");
    return ReserveResult{reserved.GetBool(),
                         wire::readStrings(wire::member(root, "short_skus"), "short_skus")};
  });
}

bool RemoteClient::confirm(const std::string& order_id) {
  return readAnswer(call("POST", "confirm", orderBody(order_id), 200),
                    [](const rapidjson::Value& root) {
                      const auto& confirmed = wire::member(root, "confirmed");
                      if (!confirmed.IsBool()) {
                        throw wire::ShapeError("confirmed", "must be true or false");
                      }
                      return confirmed.GetBool();
                    });
}

void RemoteClient::fulfil(const std::string& order_id) {
  call("POST", "fulfil", orderBody(order_id), 204);
}

void RemoteClient::release(const std::string& order_id) {
  call("POST", "release", orderBody(order_id), 204);
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
  return readAnswer(call("POST", "on-hand", out.str(), 200), [](const rapidjson::Value& root) {
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
  return readAnswer(call("POST", "import", out.str(), 200), [](const rapidjson::Value& root) {
    const auto& created = wire::member(root, "created");
    if (!created.IsInt64()) throw wire::ShapeError("created", "must be a whole number");
    return created.GetInt64();
  });
}

std::int64_t RemoteClient::count() {
  return readAnswer(call("GET", "count", "", 200), [](const rapidjson::Value& root) {
    const auto& count = wire::member(root, "count");
    if (!count.IsInt64()) throw wire::ShapeError("count", "must be a whole number");
    return count.GetInt64();
  });
}

}  // namespace emporium::inventory
