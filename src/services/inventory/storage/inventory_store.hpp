#pragma once
// Inventory's SQL: stock rows and reservations. Every stock change is one
// conditional UPDATE (never read-then-write), and every reservation state
// change is guarded by its current state in the WHERE clause, so concurrent
// callers cannot apply the same change twice. Every transaction that changes
// on_hand or reserved adds 1 to each changed row's version and writes one
// stock.changed event with the new levels in the same transaction.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/sql/database.hpp"
#include "services/inventory/client.hpp"

namespace emporium::inventory {

enum class ReservationState { kHeld, kConfirmed, kFulfilled, kReleased };

std::string_view stateName(ReservationState state);

/// A reservation state change applied to one order: the lines it moved.
struct Transition {
  std::vector<ReservationLine> lines;  // sorted by sku; empty when nothing changed
};

class InventoryStore {
 public:
  /// A reserve() that takes a SKU's available units from at least
  /// `low_stock_threshold` to below it adds a "stock.low" event to `outbox`
  /// in its transaction (0: never).
  InventoryStore(sql::Database& db, const events::Outbox& outbox, std::int64_t low_stock_threshold)
      : db_(db), outbox_(outbox), low_stock_threshold_(low_stock_threshold) {}

  std::vector<StockLevel> levels(std::span<const std::string> skus);
  std::optional<StockLevel> level(const std::string& sku);
  std::int64_t count();

  /// lines must be normalized: sorted by sku, one line per sku, quantity > 0.
  /// Timestamps are RFC 3339 text (util::formatRfc3339).
  ReserveResult reserve(const std::string& order_id, std::span<const ReservationLine> lines,
                        const std::string& now, const std::string& expires_at);

  /// held -> confirmed. True when the order has a confirmed (or already
  /// fulfilled) reservation afterwards.
  bool confirm(const std::string& order_id, const std::string& now);
  /// held/confirmed -> fulfilled: the units leave on_hand and reserved.
  Transition fulfil(const std::string& order_id, const std::string& now);
  /// held/confirmed -> released: the units return to available.
  Transition release(const std::string& order_id, const std::string& now);
  /// held and expired at `now` -> released, for one order.
  Transition releaseExpired(const std::string& order_id, const std::string& now);
  /// Orders with a held reservation whose expiry is at or before `now`, at most `limit`.
  std::vector<std::string> expiredOrders(const std::string& now, std::int64_t limit);

  /// Creates or updates the SKU's on_hand, refusing to go below reserved.
  SetOnHandResult setOnHand(const std::string& sku, std::int64_t on_hand, const std::string& now);
  /// Adds the lines to on_hand once per (key, sku), in one transaction;
  /// false when nothing was added (the key had been used, or only unknown SKUs).
  bool returnToStock(const std::string& key, std::span<const ReservationLine> lines,
                     const std::string& now);
  /// Creates rows for the SKUs not yet present (reserved 0); existing rows are
  /// left alone. Returns how many rows were created. Throws
  /// std::invalid_argument for a negative on_hand.
  std::int64_t importMissing(std::span<const StockLevel> levels, const std::string& now);

 private:
  Transition transition(const sql::Query& move, const sql::Query& apply,
                        const std::string& order_id, const std::string& now);

  sql::Database& db_;
  const events::Outbox& outbox_;
  std::int64_t low_stock_threshold_;
};

}  // namespace emporium::inventory
