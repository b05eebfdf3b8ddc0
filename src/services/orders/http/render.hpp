#pragma once
// Orders as JSON, in the contract's shape. Money is {"amount", "currency"}.

#include <string>
#include <vector>

#include "services/orders/domain/order.hpp"

namespace emporium::orders {

/// The full order: lines, totals, payment, address, timeline and shipment.
std::string renderOrder(const Order& order);
/// A page of orders without lines (history and admin lists).
std::string renderOrderList(const std::vector<Order>& orders, const std::string* next_cursor);

}  // namespace emporium::orders
