#pragma once
// What other services may ask of inventory. The orders saga and the cart use
// this interface only, never inventory's tables: in the all-in-one process the
// implementation is InventoryService itself, in microservices mode an HTTP
// client (later).

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace emporium::inventory {

struct StockLevel {
  std::string sku;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;  // held for orders not yet shipped
  std::int64_t available() const { return on_hand - reserved; }
};

struct ReservationLine {
  std::string sku;
  std::int64_t quantity = 0;
};

/// What setOnHand() did.
enum class SetOnHandStatus {
  kDone,           // the row was created or updated
  kBelowReserved,  // refused: on_hand would fall below what orders hold
  kNegative,       // refused: on_hand < 0
};

struct SetOnHandResult {
  SetOnHandStatus status = SetOnHandStatus::kDone;
  /// The level after the call (kBelowReserved: the unchanged current level).
  StockLevel level;
};

struct ReserveResult {
  bool reserved = false;
  /// When not reserved: the SKUs that lacked stock (or are unknown), sorted.
  std::vector<std::string> short_skus;
};

/// Every call that changes a SKU's on_hand or reserved publishes one
/// `stock.changed` event per transaction with the new levels and their
/// per-SKU version (docs/events.md); confirm() changes neither and publishes
/// nothing.
///
/// A reservation's life: held (expires unless confirmed) -> confirmed (kept
/// until the order ships) -> fulfilled (the units left on_hand); or released
/// from held/confirmed (decline, cancel, expiry). Every call is idempotent per
/// order, so a saga step or the recovery sweeper may repeat it safely.
class Client {
 public:
  virtual ~Client() = default;

  /// Current levels of the SKUs that exist; unknown SKUs are left out.
  virtual std::vector<StockLevel> levels(std::span<const std::string> skus) = 0;

  /// Holds every line for the order, or none of them. Each line is one atomic
  /// conditional UPDATE (reserved + q <= on_hand), never a read-then-write.
  /// Repeating it for an order that already holds (or confirmed) its
  /// reservation returns reserved = true without holding more.
  virtual ReserveResult reserve(const std::string& order_id, std::span<const ReservationLine> lines,
                                std::chrono::seconds hold_for) = 0;

  /// The order was paid: its held reservation no longer expires. False when
  /// the order holds nothing (never reserved, released or expired).
  virtual bool confirm(const std::string& order_id) = 0;

  /// The order shipped: its units leave on_hand and reserved together.
  virtual void fulfil(const std::string& order_id) = 0;

  /// Gives a held or confirmed reservation back to available stock. A no-op
  /// when there is nothing to release (already released, fulfilled, or none).
  virtual void release(const std::string& order_id) = 0;

  /// Goods a customer sent back go on hand again (a refund's returned
  /// lines). Once per key: repeating a key adds nothing. Unknown SKUs are
  /// skipped (nothing to put them back into).
  virtual void returnToStock(const std::string& key, std::span<const ReservationLine> lines) = 0;

  /// Creates the SKU's row or sets its on_hand (the catalog hands over the
  /// stock of the variants it creates or an admin patches). Refuses below
  /// reserved or below 0; setting the current value changes nothing.
  virtual SetOnHandResult setOnHand(const std::string& sku, std::int64_t on_hand) = 0;

  /// Creates rows for SKUs not yet present (reserved 0) and leaves existing
  /// ones alone; returns how many were created. Carries stock over from
  /// catalogs seeded before inventory existed. Throws std::invalid_argument
  /// for a negative on_hand.
  virtual std::int64_t importMissing(std::span<const StockLevel> levels) = 0;

  /// How many SKUs inventory holds a row for.
  virtual std::int64_t count() = 0;
};

}  // namespace emporium::inventory
