#pragma once
// Payments' internal routes: payments::Client over HTTP, for the orders saga
// in another process (RemoteClient is the caller). Mounted only when the
// deployment configures a service credential, and every call must carry it.

#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "services/payments/client.hpp"

namespace emporium::payments {

/// POST /internal/v1/payments/charge (a ChargeRequest -> a ChargeResult),
/// /refund {"order_id"} and /refund-part {"order_id","key","amount"} ->
/// {"outcome"}, /mark-collected {"order_id"} -> 204, /for-order {"order_id"}
/// -> {"payment": {...} | null}; shapes in wire.hpp. `payments` and
/// `credential` outlive the router.
void addInternalRoutes(http::Router& router, Client& payments,
                       const http::ServiceCredential& credential);

}  // namespace emporium::payments
