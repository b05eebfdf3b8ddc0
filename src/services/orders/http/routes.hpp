#pragma once
// The orders HTTP surface: checkout, history, detail, cancel, and the admin
// order desk (list by status, ship, deliver, refund).

#include "core/http/router.hpp"
#include "services/orders/order_service.hpp"

namespace emporium::orders {

void addRoutes(http::Router& router, OrderService& service);

}  // namespace emporium::orders
