#pragma once
// The inventory service: stock per SKU and the reservations the checkout saga
// holds against it. Implements inventory::Client for the other services and
// the admin operations its routes expose.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/log/logger.hpp"
#include "core/metrics/exposition.hpp"
#include "core/sql/database.hpp"
#include "core/util/periodic_task.hpp"
#include "services/inventory/client.hpp"
#include "services/inventory/storage/inventory_store.hpp"

namespace emporium::inventory {

using Clock = std::function<std::chrono::system_clock::time_point()>;

class InventoryService final : public Client {
 public:
  /// clock defaults to the system clock (tests inject one).
  /// low_stock_threshold: see InventoryStore (0: no stock.low events). Every
  /// committed change of a level is a stock.changed event in the outbox: the
  /// catalog mirrors in-stock state from those (consumer catalog.stock).
  InventoryService(sql::Database& db, const events::Outbox& outbox,
                   std::int64_t low_stock_threshold, Clock clock = {});

  // inventory::Client
  std::vector<StockLevel> levels(std::span<const std::string> skus) override;
  /// Duplicate SKUs among lines are merged; throws std::invalid_argument for
  /// an empty order id, no lines, a quantity < 1 or a hold_for < 1 s.
  ReserveResult reserve(const std::string& order_id, std::span<const ReservationLine> lines,
                        std::chrono::seconds hold_for) override;
  /// True also when the order's reservation is already confirmed or fulfilled.
  bool confirm(const std::string& order_id) override;
  void fulfil(const std::string& order_id) override;
  void release(const std::string& order_id) override;
  void returnToStock(const std::string& key, std::span<const ReservationLine> lines) override;
  SetOnHandResult setOnHand(const std::string& sku, std::int64_t on_hand) override;
  std::int64_t importMissing(std::span<const StockLevel> levels) override;
  std::int64_t count() override;

  // Admin
  std::optional<StockLevel> level(const std::string& sku);

  /// Releases held reservations whose expiry is at or before now; returns
  /// how many orders were released.
  std::int64_t sweepExpired(std::chrono::system_clock::time_point now);
  std::int64_t sweepExpired() { return sweepExpired(clock_()); }

  /// Prometheus counters: reservations made, refused, released, expired.
  void collect(metrics::Exposition& out) const;

 private:
  std::string now() const;

  InventoryStore store_;
  Clock clock_;
  std::atomic<std::uint64_t> reserved_total_{0};
  std::atomic<std::uint64_t> refused_total_{0};
  std::atomic<std::uint64_t> released_total_{0};
  std::atomic<std::uint64_t> expired_total_{0};
};

/// Runs InventoryService::sweepExpired() every `interval` on its own thread
/// until destroyed (RAII: destroy it before the service).
class ExpirySweeper {
 public:
  ExpirySweeper(InventoryService& service, std::chrono::milliseconds interval,
                const log::Logger& logger);
  void stop() { task_.stop(); }

 private:
  util::PeriodicTask task_;
};

}  // namespace emporium::inventory
