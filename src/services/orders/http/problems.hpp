#pragma once
// The orders service's refusals as the problem documents the contract names:
// the only place the orders service's typed errors become http::ApiError.

#include "core/http/api_error.hpp"
#include "services/orders/checkout/refusal.hpp"
#include "services/orders/order_error.hpp"

namespace emporium::orders {

/// 404 not-found, 409 invalid-transition (with an `order_status` member),
/// 422 validation-error naming every field, 409 refund-contended.
http::ApiError toProblem(const OrderError& error);

/// A refused checkout: the exact type, title, detail, members (`skus`) and
/// headers (Retry-After) its problem has always had, since the bytes are
/// stored for replays of the Idempotency-Key.
http::ApiError toProblem(const checkout::CheckoutRefusal& refusal);

}  // namespace emporium::orders
