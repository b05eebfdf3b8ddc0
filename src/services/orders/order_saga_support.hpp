#pragma once
// What the checkout (order_service.cpp) and the recovery sweeper
// (order_recovery.cpp) share inside the orders service: counters and the
// mapping of an order onto inventory and cart lines. Not for other services.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "services/cart/client.hpp"
#include "services/inventory/client.hpp"
#include "services/orders/order_service.hpp"

namespace emporium::orders {

struct OrderService::Counters {
  std::atomic<std::uint64_t> confirmed{0};
  std::atomic<std::uint64_t> insufficient_stock{0};
  std::atomic<std::uint64_t> declined{0};
  std::atomic<std::uint64_t> provider_unavailable{0};
  std::atomic<std::uint64_t> replayed{0};
  std::atomic<std::uint64_t> recovered_confirmed{0};
  std::atomic<std::uint64_t> recovered_failed{0};
  std::atomic<std::uint64_t> keys_released{0};
  std::atomic<std::uint64_t> effects_deferred{0};
};

namespace saga {

inline std::vector<inventory::ReservationLine> reservationLines(const Order& order) {
  // Merged per SKU: a reservation holds one row per (order, sku).
  std::map<std::string, std::int64_t> per_sku;
  for (const auto& line : order.lines) per_sku[line.sku] += line.quantity;
  std::vector<inventory::ReservationLine> lines;
  lines.reserve(per_sku.size());
  for (const auto& [sku, quantity] : per_sku) lines.push_back({sku, quantity});
  return lines;
}

inline std::vector<cart::CartLine> cartLines(const Order& order) {
  std::vector<cart::CartLine> lines;
  lines.reserve(order.lines.size());
  for (const auto& line : order.lines) lines.push_back({line.sku, line.quantity});
  return lines;
}

/// The in-flight mark of a claimed Idempotency-Key (user ids hold no newline).
inline std::string keyMark(const IdempotencyRef& ref) {
  return "key:" + ref.user_id + "\n" + ref.key;
}

}  // namespace saga
}  // namespace emporium::orders
