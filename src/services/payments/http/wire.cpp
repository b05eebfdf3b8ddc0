#include "services/payments/http/wire.hpp"

#include <array>
#include <chrono>
#include <string>
#include <utility>

namespace emporium::payments::wire {
namespace {

using json::wire::intOf;
using json::wire::member;
using json::wire::ShapeError;
using json::wire::stringOf;

constexpr std::array<std::pair<ChargeOutcome, std::string_view>, 7> kChargeOutcomes{{
    {ChargeOutcome::kCaptured, "captured"},
    {ChargeOutcome::kPending, "pending"},
    {ChargeOutcome::kDeclined, "declined"},
    {ChargeOutcome::kInsufficientFunds, "insufficient_funds"},
    {ChargeOutcome::kInvalid, "invalid"},
    {ChargeOutcome::kUnavailable, "unavailable"},
    {ChargeOutcome::kThrottled, "throttled"},
}};
constexpr std::array<std::pair<RefundOutcome, std::string_view>, 3> kRefundOutcomes{{
    {RefundOutcome::kRefunded, "refunded"},
    {RefundOutcome::kNothingToDo, "nothing_to_do"},
    {RefundOutcome::kUnavailable, "unavailable"},
}};

template <typename Enum, std::size_t N>
std::string_view nameIn(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [known, name] : names) {
    if (known == value) return name;
  }
  return names.front().second;
}

template <typename Enum, std::size_t N>
Enum valueIn(const std::array<std::pair<Enum, std::string_view>, N>& names,
             const rapidjson::Value& object, std::string_view field) {
  const std::string name = stringOf(object, field);
  for (const auto& [value, known] : names) {
    if (known == name) return value;
  }
  throw ShapeError(std::string(field), "is not a known outcome");
}

Method methodOf(const rapidjson::Value& object, std::string_view field) {
  const auto method = parseMethod(stringOf(object, "method", field));
  if (!method) {
    throw ShapeError(field.empty() ? "method" : std::string(field) + ".method",
                     "is not card, gift_card or cod");
  }
  return *method;
}

}  // namespace

void writeChargeRequest(json::Writer& out, const ChargeRequest& request) {
  out.startObject()
      .member("order_id", request.order_id)
      .member("idempotency_key", request.idempotency_key)
      .member("method", methodName(request.method))
      .member("card_token", request.card_token)
      .member("gift_card_code", request.gift_card_code)
      .member("amount", request.amount)
      .member("currency", request.currency)
      .member("payer", request.payer)
      .member("client_address", request.client_address)
      .endObject();
}

ChargeRequest readChargeRequest(const rapidjson::Value& object) {
  ChargeRequest request;
  request.order_id = stringOf(object, "order_id");
  request.idempotency_key = stringOf(object, "idempotency_key");
  request.method = methodOf(object, "");
  request.card_token = stringOf(object, "card_token");
  request.gift_card_code = stringOf(object, "gift_card_code");
  request.amount = intOf(object, "amount");
  request.currency = stringOf(object, "currency");
  request.payer = stringOf(object, "payer");
  request.client_address = stringOf(object, "client_address");
  return request;
}

void writePayment(json::Writer& out, const Payment& payment) {
  out.startObject()
      .member("id", payment.id)
      .member("order_id", payment.order_id)
      .member("method", methodName(payment.method))
      .member("status", payment.status)
      .member("amount", payment.amount)
      .member("refunded_amount", payment.refunded_amount)
      .member("currency", payment.currency);
  if (payment.card_brand) out.member("card_brand", *payment.card_brand);
  if (payment.card_last4) out.member("card_last4", *payment.card_last4);
  out.member("created_at", payment.created_at).member("updated_at", payment.updated_at).endObject();
}

Payment readPayment(const rapidjson::Value& object, std::string_view field) {
  Payment payment;
  payment.id = stringOf(object, "id", field);
  payment.order_id = stringOf(object, "order_id", field);
  payment.method = methodOf(object, field);
  payment.status = stringOf(object, "status", field);
  payment.amount = intOf(object, "amount", field);
  payment.refunded_amount = intOf(object, "refunded_amount", field);
  payment.currency = stringOf(object, "currency", field);
  payment.card_brand = json::wire::optionalStringOf(object, "card_brand", field);
  payment.card_last4 = json::wire::optionalStringOf(object, "card_last4", field);
  payment.created_at = stringOf(object, "created_at", field);
  payment.updated_at = stringOf(object, "updated_at", field);
  return payment;
}

void writeChargeResult(json::Writer& out, const ChargeResult& result) {
  out.startObject().member("outcome", chargeOutcomeName(result.outcome)).key("payment");
  if (result.payment) {
    writePayment(out, *result.payment);
  } else {
    out.null();
  }
  out.member("detail", result.detail)
      .member("retry_after_s", static_cast<std::int64_t>(result.retry_after.count()))
      .endObject();
}

ChargeResult readChargeResult(const rapidjson::Value& object) {
  ChargeResult result;
  result.outcome = readChargeOutcome(object, "outcome");
  if (const auto& payment = member(object, "payment"); !payment.IsNull()) {
    result.payment = readPayment(payment, "payment");
  }
  result.detail = stringOf(object, "detail");
  result.retry_after = std::chrono::seconds(intOf(object, "retry_after_s"));
  return result;
}

std::string_view chargeOutcomeName(ChargeOutcome outcome) {
  return nameIn(kChargeOutcomes, outcome);
}
ChargeOutcome readChargeOutcome(const rapidjson::Value& object, std::string_view name) {
  return valueIn(kChargeOutcomes, object, name);
}
std::string_view refundOutcomeName(RefundOutcome outcome) {
  return nameIn(kRefundOutcomes, outcome);
}
RefundOutcome readRefundOutcome(const rapidjson::Value& object, std::string_view name) {
  return valueIn(kRefundOutcomes, object, name);
}

}  // namespace emporium::payments::wire
