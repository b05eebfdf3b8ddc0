#include "services/payments/http/internal_routes.hpp"

#include <string>
#include <utility>

#include "core/http/api_error.hpp"
#include "core/http/internal_route.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "services/payments/http/wire.hpp"

namespace emporium::payments {
namespace {

using Handler = http::Response (*)(Client&, const rapidjson::Value&);

http::Response ok(const json::Writer& out) { return http::internalAnswer(out.str()); }

http::Response outcome(std::string_view name) {
  json::Writer out;
  out.startObject().member("outcome", name).endObject();
  return ok(out);
}

http::Response charge(Client& payments, const rapidjson::Value& root) {
  const ChargeRequest request = wire::readChargeRequest(root);
  if (request.amount <= 0) throw http::ApiError::validation("amount", "must be positive");
  if (request.order_id.empty() || request.idempotency_key.empty()) {
    throw http::ApiError::validation(request.order_id.empty() ? "order_id" : "idempotency_key",
                                     "must not be empty");
  }
  json::Writer out;
  wire::writeChargeResult(out, payments.charge(request));
  return ok(out);
}

http::Response refund(Client& payments, const rapidjson::Value& root) {
  return outcome(wire::refundOutcomeName(payments.refund(json::wire::stringOf(root, "order_id"))));
}

http::Response refundPart(Client& payments, const rapidjson::Value& root) {
  const std::int64_t amount = json::wire::intOf(root, "amount");
  if (amount <= 0) throw http::ApiError::validation("amount", "must be positive");
  return outcome(wire::refundOutcomeName(payments.refundPart(
      json::wire::stringOf(root, "order_id"), json::wire::stringOf(root, "key"), amount)));
}

http::Response markCollected(Client& payments, const rapidjson::Value& root) {
  payments.markCollected(json::wire::stringOf(root, "order_id"));
  return http::Response::noContent();
}

http::Response forOrder(Client& payments, const rapidjson::Value& root) {
  const auto payment = payments.forOrder(json::wire::stringOf(root, "order_id"));
  json::Writer out;
  out.startObject().key("payment");
  if (payment) {
    wire::writePayment(out, *payment);
  } else {
    out.null();
  }
  out.endObject();
  return ok(out);
}

}  // namespace

void addInternalRoutes(http::Router& router, Client& payments,
                       const http::ServiceCredential& credential) {
  const std::pair<const char*, Handler> calls[] = {
      {"charge", charge},          {"refund", refund},
      {"refund-part", refundPart}, {"mark-collected", markCollected},
      {"for-order", forOrder},
  };
  for (const auto& [name, handler] : calls) {
    http::addInternalRoute(router, std::string(wire::kPrefix) + "/" + name, credential,
                           [&payments, handler = handler](const json::Body& body) {
                             return handler(payments, body.root());
                           });
  }
}

}  // namespace emporium::payments
