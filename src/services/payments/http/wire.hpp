#pragma once
// The JSON both ends of payments' internal routes read and write:
// internal_routes.cpp answers in it and RemoteClient calls in it, so the two
// cannot drift apart. Enumerations travel as the names below.

#include <rapidjson/document.h>

#include <string_view>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "services/payments/client.hpp"

namespace emporium::payments::wire {

/// The internal routes' prefix: POST <prefix>/{charge,refund,refund-part,
/// mark-collected,for-order}.
inline constexpr std::string_view kPrefix = "/internal/v1/payments";

/// {"order_id","idempotency_key","method","card_token","gift_card_code",
///  "amount","currency","payer","client_address"}
void writeChargeRequest(json::Writer& out, const ChargeRequest& request);
ChargeRequest readChargeRequest(const rapidjson::Value& object);

/// {"id","order_id","method","status","amount","refunded_amount","currency",
///  "card_brand"?,"card_last4"?,"created_at","updated_at"}
void writePayment(json::Writer& out, const Payment& payment);
Payment readPayment(const rapidjson::Value& object, std::string_view field);

/// {"outcome","payment": {...} | null,"detail","retry_after_s"}
void writeChargeResult(json::Writer& out, const ChargeResult& result);
ChargeResult readChargeResult(const rapidjson::Value& object);

/// "captured", "pending", "declined", "insufficient_funds", "invalid",
/// "unavailable", "throttled"; ShapeError for another name.
std::string_view chargeOutcomeName(ChargeOutcome outcome);
ChargeOutcome readChargeOutcome(const rapidjson::Value& object, std::string_view name);

/// "refunded", "nothing_to_do", "unavailable"; ShapeError for another name.
std::string_view refundOutcomeName(RefundOutcome outcome);
RefundOutcome readRefundOutcome(const rapidjson::Value& object, std::string_view name);

}  // namespace emporium::payments::wire
