#pragma once
// The orders HTTP surface: checkout, history, detail, cancel, and the admin
// order desk (list by status, ship, deliver, refund).

#include "core/events/activity_log.hpp"
#include "core/http/router.hpp"
#include "services/orders/order_service.hpp"

namespace emporium::orders {

/// A placed order (not its replays) is recorded as activity.order_placed.
void addRoutes(http::Router& router, OrderService& service, events::ActivityLog& activity);

}  // namespace emporium::orders
