#pragma once
// The events the orders service publishes (docs/events.md): "order.<status>"
// for the changes a buyer hears about, carrying the order exactly as the API
// renders it, so a consumer needs no call back into this service.

#include <optional>
#include <string>
#include <string_view>

#include "services/orders/domain/order.hpp"

namespace emporium::orders {

/// "order.confirmed" etc.; nullopt for statuses that publish nothing (pending).
std::optional<std::string_view> eventTypeFor(OrderStatus status);

/// {"user_id": ..., "order": <GET /api/v1/orders/{id}>}.
std::string orderEventPayload(const Order& order);

/// order.refunded: {"user_id", "order", "refund": {"id", "amount": Money,
/// "full": bool, "reason", "by"}}; one per refund, partial (full: false; the
/// order keeps its status) or the one that completes it (full: true).
std::string refundEventPayload(const Order& order, const Refund& refund, bool full);

}  // namespace emporium::orders
