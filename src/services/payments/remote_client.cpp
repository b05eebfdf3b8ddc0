#include "services/payments/remote_client.hpp"

#include <utility>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "core/net/peer_error.hpp"
#include "services/payments/http/wire.hpp"

namespace emporium::payments {
RemoteClient::RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
                           std::chrono::milliseconds timeout)
    : caller_(http, "payments", std::string(wire::kPrefix), std::move(urls), std::move(secret),
              timeout) {}

std::string RemoteClient::post(std::string_view name, std::string body, int expected) {
  return caller_.expect("POST", name, std::move(body), expected, /*idempotent=*/true);
}

ChargeResult RemoteClient::charge(const ChargeRequest& request) {
  json::Writer out;
  wire::writeChargeRequest(out, request);
  try {
    return caller_.read(post("charge", out.str(), 200),
                        [](const rapidjson::Value& root) { return wire::readChargeResult(root); });
  } catch (const net::PeerError& error) {
    ChargeResult unavailable;
    unavailable.outcome = ChargeOutcome::kUnavailable;
    unavailable.detail = error.what();
    return unavailable;
  }
}

RefundOutcome RemoteClient::refund(const std::string& order_id) {
  return caller_.read(
      post("refund", json::wire::objectWith("order_id", order_id), 200),
      [](const rapidjson::Value& root) { return wire::readRefundOutcome(root, "outcome"); });
}

RefundOutcome RemoteClient::refundPart(const std::string& order_id, const std::string& key,
                                       std::int64_t amount) {
  json::Writer out;
  out.startObject()
      .member("order_id", order_id)
      .member("key", key)
      .member("amount", amount)
      .endObject();
  return caller_.read(post("refund-part", out.str(), 200), [](const rapidjson::Value& root) {
    return wire::readRefundOutcome(root, "outcome");
  });
}

void RemoteClient::markCollected(const std::string& order_id) {
  post("mark-collected", json::wire::objectWith("order_id", order_id), 204);
}

std::optional<Payment> RemoteClient::forOrder(const std::string& order_id) {
  return caller_.read(post("for-order", json::wire::objectWith("order_id", order_id), 200),
                      [](const rapidjson::Value& root) -> std::optional<Payment> {
                        const auto& payment = json::wire::member(root, "payment");
                        if (payment.IsNull()) return std::nullopt;
                        return wire::readPayment(payment, "payment");
                      });
}

}  // namespace emporium::payments
