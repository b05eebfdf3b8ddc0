#include "services/inventory/storage/inventory_store.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

#include "core/json/writer.hpp"

namespace emporium::inventory {
namespace {

constexpr sql::Query kLevel{"inventory.level",
                            "SELECT sku, on_hand, reserved FROM stock WHERE sku = $1"};
constexpr sql::Query kCount{"inventory.count", "SELECT COUNT(*) FROM stock"};

constexpr sql::Query kOrderStates{"inventory.order_states",
                                  "SELECT DISTINCT state FROM reservations WHERE order_id = $1"};
constexpr sql::Query kForgetReleased{
    "inventory.forget_released",
    "DELETE FROM reservations WHERE order_id = $1 AND state = 'released'"};
// The one statement that takes stock: it applies only while enough is
// available, so concurrent holds can never oversell (affected rows say whether it did).
// Every statement that changes on_hand or reserved adds 1 to the row's version
// and returns the new level: the transaction's stock.changed event carries it.
constexpr sql::Query kHold{"inventory.hold",
                           "UPDATE stock SET reserved = reserved + $2, version = version + 1, "
                           "updated_at = $3 WHERE sku = $1 AND on_hand - reserved >= $2 "
                           "RETURNING on_hand, reserved, version"};
constexpr sql::Query kInsertReservation{
    "inventory.insert_reservation",
    "INSERT INTO reservations (order_id, sku, quantity, state, expires_at, created_at, "
    "updated_at) VALUES ($1, $2, $3, 'held', $4, $5, $5)"};

constexpr sql::Query kConfirm{"inventory.confirm",
                              "UPDATE reservations SET state = 'confirmed', expires_at = NULL, "
                              "updated_at = $2 WHERE order_id = $1 AND state = 'held'"};
constexpr sql::Query kConfirmedOrFulfilled{
    "inventory.confirmed_or_fulfilled",
    "SELECT COUNT(*) FROM reservations "
    "WHERE order_id = $1 AND state IN ('confirmed', 'fulfilled')"};

// State moves: each returns the rows it moved, and only rows still in a
// source state match, so of two concurrent callers exactly one gets them.
constexpr sql::Query kMoveToFulfilled{
    "inventory.move_to_fulfilled",
    "UPDATE reservations SET state = 'fulfilled', expires_at = NULL, updated_at = $2 "
    "WHERE order_id = $1 AND state IN ('held', 'confirmed') RETURNING sku, quantity"};
constexpr sql::Query kMoveToReleased{
    "inventory.move_to_released",
    "UPDATE reservations SET state = 'released', updated_at = $2 "
    "WHERE order_id = $1 AND state IN ('held', 'confirmed') RETURNING sku, quantity"};
constexpr sql::Query kMoveExpiredToReleased{
    "inventory.move_expired_to_released",
    "UPDATE reservations SET state = 'released', updated_at = $2 "
    "WHERE order_id = $1 AND state = 'held' AND expires_at <= $2 RETURNING sku, quantity"};
constexpr sql::Query kShip{"inventory.ship",
                           "UPDATE stock SET on_hand = on_hand - $2, reserved = reserved - $2, "
                           "version = version + 1, updated_at = $3 WHERE sku = $1 "
                           "RETURNING on_hand, reserved, version"};
constexpr sql::Query kUnreserve{"inventory.unreserve",
                                "UPDATE stock SET reserved = reserved - $2, version = version + 1, "
                                "updated_at = $3 WHERE sku = $1 "
                                "RETURNING on_hand, reserved, version"};

constexpr sql::Query kExpiredOrders{
    "inventory.expired_orders",
    "SELECT DISTINCT order_id FROM reservations "
    "WHERE state = 'held' AND expires_at <= $1 ORDER BY order_id LIMIT $2"};

// Upsert that refuses to drop below reserved and leaves an unchanged on_hand
// alone (no new version, no event): in both cases the conflict's WHERE fails
// and nothing is returned.
constexpr sql::Query kSetOnHand{
    "inventory.set_on_hand",
    "INSERT INTO stock (sku, on_hand, reserved, updated_at, version) VALUES ($1, $2, 0, $3, 1) "
    "ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, version = stock.version + 1, "
    "updated_at = excluded.updated_at "
    "WHERE stock.reserved <= excluded.on_hand AND stock.on_hand <> excluded.on_hand "
    "RETURNING on_hand, reserved, version"};
// The key row first: a repeated key inserts nothing, and adds nothing.
constexpr sql::Query kClaimReturn{
    "inventory.claim_return",
    "INSERT INTO stock_returns (key, sku, quantity, created_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (key, sku) DO NOTHING"};
constexpr sql::Query kAddOnHand{"inventory.add_on_hand",
                                "UPDATE stock SET on_hand = on_hand + $2, version = version + 1, "
                                "updated_at = $3 WHERE sku = $1 "
                                "RETURNING on_hand, reserved, version"};
// Only the rows inserted are returned (a conflict returns nothing).
constexpr sql::Query kImportOne{
    "inventory.import_one",
    "INSERT INTO stock (sku, on_hand, reserved, updated_at, version) VALUES ($1, $2, 0, $3, 1) "
    "ON CONFLICT (sku) DO NOTHING RETURNING sku, on_hand"};

// Rows per multi-row INSERT in importMissing (3 parameters each: well under
// SQLite's and PostgreSQL's parameter limits).
constexpr std::size_t kImportBatch = 256;
// Rows per transaction in importMissing: bounds a transaction's size on a
// catalog of millions of SKUs; the import is idempotent, so a partial one is
// completed by the next call.
constexpr std::size_t kImportRowsPerTransaction = 16 * kImportBatch;

const std::string& importBatchText() {
  static const std::string text = [] {
    std::string out = "INSERT INTO stock (sku, on_hand, reserved, updated_at, version) VALUES ";
    for (std::size_t i = 0; i < kImportBatch; ++i) {
      if (i > 0) out += ", ";
      out += "($" + std::to_string(2 * i + 2) + ", $" + std::to_string(2 * i + 3) + ", 0, $1, 1)";
    }
    out += " ON CONFLICT (sku) DO NOTHING RETURNING sku, on_hand";
    return out;
  }();
  return text;
}

// Thrown inside reserve()'s transaction to roll back the holds already taken.
struct ShortStock {
  std::vector<std::string> skus;
};

StockLevel readLevel(const sql::Row& row) {
  return StockLevel{row.getText(0), row.getInt64(1), row.getInt64(2)};
}

// A SKU's level as a transaction leaves it, with the row's version.
struct ChangedLevel {
  std::string sku;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t version = 0;
};

// From a change statement's RETURNING on_hand, reserved, version.
ChangedLevel changedLevel(std::string sku, const sql::Row& row) {
  return ChangedLevel{std::move(sku), row.getInt64(0), row.getInt64(1), row.getInt64(2)};
}

// The transaction's one stock.changed event (docs/events.md), levels in sku
// order. Nothing changed, nothing published. Returns whether it added one.
bool addStockChanged(const events::Outbox& outbox, sql::Session& s,
                     std::vector<ChangedLevel> levels) {
  if (levels.empty()) return false;
  std::sort(levels.begin(), levels.end(),
            [](const ChangedLevel& a, const ChangedLevel& b) { return a.sku < b.sku; });
  json::Writer payload;
  payload.startObject().key("levels").startArray();
  for (const auto& level : levels) {
    payload.startObject()
        .member("sku", level.sku)
        .member("on_hand", level.on_hand)
        .member("reserved", level.reserved)
        .member("available", level.on_hand - level.reserved)
        .member("version", level.version)
        .endObject();
  }
  payload.endArray().endObject();
  outbox.add(s, "stock.changed", payload.str());
  return true;
}

}  // namespace

std::string_view stateName(ReservationState state) {
  switch (state) {
    case ReservationState::kHeld:
      return "held";
    case ReservationState::kConfirmed:
      return "confirmed";
    case ReservationState::kFulfilled:
      return "fulfilled";
    case ReservationState::kReleased:
      return "released";
  }
  return "unknown";
}

std::vector<StockLevel> InventoryStore::levels(std::span<const std::string> skus) {
  // One prepared point lookup per SKU in one snapshot: callers ask for a
  // cart's or an order's few SKUs, and a fixed text is prepared once.
  return db_.read([&](sql::Session& s) {
    std::vector<StockLevel> found;
    found.reserve(skus.size());
    for (const auto& sku : skus) {
      const auto rows = s.execute(kLevel, {sku});
      if (!rows.empty()) found.push_back(readLevel(rows[0]));
    }
    return found;
  });
}

std::optional<StockLevel> InventoryStore::level(const std::string& sku) {
  return db_.read([&](sql::Session& s) -> std::optional<StockLevel> {
    const auto rows = s.execute(kLevel, {sku});
    if (rows.empty()) return std::nullopt;
    return readLevel(rows[0]);
  });
}

std::int64_t InventoryStore::count() {
  return db_.read([](sql::Session& s) { return s.execute(kCount)[0].getInt64(0); });
}

ReserveResult InventoryStore::reserve(const std::string& order_id,
                                      std::span<const ReservationLine> lines,
                                      const std::string& now, const std::string& expires_at) {
  bool published = false;
  const auto attempt = [&] {
    published = false;
    return db_.write([&](sql::Session& s) {
      const auto states = s.execute(kOrderStates, {order_id});
      const bool has_live = std::any_of(states.begin(), states.end(), [](const sql::Row& row) {
        return row.getText(0) != stateName(ReservationState::kReleased);
      });
      // Idempotent: the order already holds (or used) its stock.
      if (has_live) return ReserveResult{true, {}};
      // A released reservation may be taken again: the recovery sweeper
      // finishes an order whose hold expired by reserving anew.
      if (!states.empty()) s.execute(kForgetReleased, {order_id});

      // Lines arrive sorted by sku, so concurrent orders lock stock rows in
      // one order and cannot deadlock on PostgreSQL.
      std::vector<std::string> short_skus;
      std::vector<ChangedLevel> changed;
      for (const auto& line : lines) {
        const auto held = s.execute(kHold, {line.sku, line.quantity, now});
        if (held.empty()) {
          short_skus.push_back(line.sku);
          continue;
        }
        changed.push_back(changedLevel(line.sku, held[0]));
        // Alert when this hold crossed the threshold, not on every later one.
        const std::int64_t available = changed.back().on_hand - changed.back().reserved;
        if (low_stock_threshold_ > 0 && available < low_stock_threshold_ &&
            available + line.quantity >= low_stock_threshold_) {
          json::Writer payload;
          payload.startObject()
              .member("sku", line.sku)
              .member("available", available)
              .member("threshold", low_stock_threshold_)
              .endObject();
          outbox_.add(s, "stock.low", payload.str());
        }
      }
      // The throw rolls back the holds taken and the events written with them.
      if (!short_skus.empty()) throw ShortStock{std::move(short_skus)};
      for (const auto& line : lines) {
        s.execute(kInsertReservation, {order_id, line.sku, line.quantity, expires_at, now});
      }
      published = addStockChanged(outbox_, s, std::move(changed));
      return ReserveResult{true, {}};
    });
  };
  try {
    try {
      auto result = attempt();
      if (published) outbox_.committed();
      return result;
    } catch (const sql::Error& e) {
      // A concurrent reserve() of the same order inserted its rows first (its
      // holds are the ones that count, ours were rolled back): ask again,
      // which now answers from its rows.
      if (e.kind() != sql::ErrorKind::kUniqueViolation) throw;
      auto result = attempt();
      if (published) outbox_.committed();
      return result;
    }
  } catch (ShortStock& short_stock) {
    return ReserveResult{false, std::move(short_stock.skus)};
  }
}

bool InventoryStore::confirm(const std::string& order_id, const std::string& now) {
  return db_.write([&](sql::Session& s) {
    s.execute(kConfirm, {order_id, now});
    return s.execute(kConfirmedOrFulfilled, {order_id})[0].getInt64(0) > 0;
  });
}

Transition InventoryStore::transition(const sql::Query& move, const sql::Query& apply,
                                      const std::string& order_id, const std::string& now) {
  auto done = db_.write([&](sql::Session& s) {
    Transition done;
    for (const auto& row : s.execute(move, {order_id, now})) {
      done.lines.push_back(ReservationLine{row.getText(0), row.getInt64(1)});
    }
    // Stock rows in sku order, like reserve(): no lock-order deadlocks.
    std::sort(done.lines.begin(), done.lines.end(),
              [](const ReservationLine& a, const ReservationLine& b) { return a.sku < b.sku; });
    std::vector<ChangedLevel> changed;
    for (const auto& line : done.lines) {
      const auto applied = s.execute(apply, {line.sku, line.quantity, now});
      if (applied.size() != 1) {
        // A reservation without its stock row: stock rows are never deleted,
        // so this is a bug; rolling back keeps the two tables consistent.
        throw std::logic_error("inventory: reservation of order " + order_id + " refers to SKU " +
                               line.sku + " without a stock row");
      }
      changed.push_back(changedLevel(line.sku, applied[0]));
    }
    addStockChanged(outbox_, s, std::move(changed));
    return done;
  });
  if (!done.lines.empty()) outbox_.committed();
  return done;
}

Transition InventoryStore::fulfil(const std::string& order_id, const std::string& now) {
  return transition(kMoveToFulfilled, kShip, order_id, now);
}

Transition InventoryStore::release(const std::string& order_id, const std::string& now) {
  return transition(kMoveToReleased, kUnreserve, order_id, now);
}

Transition InventoryStore::releaseExpired(const std::string& order_id, const std::string& now) {
  return transition(kMoveExpiredToReleased, kUnreserve, order_id, now);
}

std::vector<std::string> InventoryStore::expiredOrders(const std::string& now, std::int64_t limit) {
  return db_.read([&](sql::Session& s) {
    std::vector<std::string> orders;
    for (const auto& row : s.execute(kExpiredOrders, {now, limit})) {
      orders.push_back(row.getText(0));
    }
    return orders;
  });
}

bool InventoryStore::returnToStock(const std::string& key, std::span<const ReservationLine> lines,
                                   const std::string& now) {
  const bool added = db_.write([&](sql::Session& s) {
    // One level per SKU, the last one: a SKU twice among the lines is claimed once.
    std::map<std::string, ChangedLevel> changed;
    for (const auto& line : lines) {
      if (s.execute(kClaimReturn, {key, line.sku, line.quantity, now}).affectedRows() != 1) {
        continue;
      }
      const auto added_to = s.execute(kAddOnHand, {line.sku, line.quantity, now});
      if (added_to.empty()) continue;  // unknown SKU: nothing to put it back into
      changed.insert_or_assign(line.sku, changedLevel(line.sku, added_to[0]));
    }
    std::vector<ChangedLevel> levels;
    levels.reserve(changed.size());
    for (auto& [sku, level] : changed) levels.push_back(std::move(level));
    return addStockChanged(outbox_, s, std::move(levels));
  });
  if (added) outbox_.committed();
  return added;
}

SetOnHandResult InventoryStore::setOnHand(const std::string& sku, std::int64_t on_hand,
                                          const std::string& now) {
  if (on_hand < 0) return SetOnHandResult{SetOnHandStatus::kNegative, StockLevel{sku, 0, 0}};
  bool published = false;
  auto result = db_.write([&](sql::Session& s) {
    published = false;
    const auto rows = s.execute(kSetOnHand, {sku, on_hand, now});
    if (!rows.empty()) {
      auto changed = changedLevel(sku, rows[0]);
      const StockLevel level{sku, changed.on_hand, changed.reserved};
      published = addStockChanged(outbox_, s, {std::move(changed)});
      return SetOnHandResult{SetOnHandStatus::kDone, level};
    }
    // The row exists (the insert conflicted) and either already holds
    // on_hand or holds more than on_hand reserved.
    const auto current = readLevel(s.execute(kLevel, {sku})[0]);
    return SetOnHandResult{
        current.on_hand == on_hand ? SetOnHandStatus::kDone : SetOnHandStatus::kBelowReserved,
        current};
  });
  if (published) outbox_.committed();
  return result;
}

std::int64_t InventoryStore::importMissing(std::span<const StockLevel> levels,
                                           const std::string& now) {
  for (const auto& level : levels) {
    if (level.on_hand < 0) {
      throw std::invalid_argument("inventory import: negative on_hand for SKU " + level.sku);
    }
  }
  const sql::Query batch{"inventory.import_batch", importBatchText()};
  std::int64_t created = 0;
  for (std::size_t start = 0; start < levels.size(); start += kImportRowsPerTransaction) {
    const auto chunk =
        levels.subspan(start, std::min(kImportRowsPerTransaction, levels.size() - start));
    const std::int64_t inserted_now = db_.write([&](sql::Session& s) {
      // A new row's level: on_hand as given, nothing reserved, version 1.
      std::vector<ChangedLevel> inserted;
      const auto collect = [&inserted](const sql::Result& rows) {
        for (const auto& row : rows) {
          inserted.push_back(ChangedLevel{row.getText(0), row.getInt64(1), 0, 1});
        }
      };
      std::size_t i = 0;
      std::vector<sql::Param> params;
      params.reserve(1 + 2 * kImportBatch);
      for (; i + kImportBatch <= chunk.size(); i += kImportBatch) {
        params.clear();
        params.emplace_back(std::string_view(now));
        for (std::size_t j = i; j < i + kImportBatch; ++j) {
          params.emplace_back(std::string_view(chunk[j].sku));
          params.emplace_back(chunk[j].on_hand);
        }
        collect(s.execute(batch, params));
      }
      for (; i < chunk.size(); ++i)
        collect(s.execute(kImportOne, {chunk[i].sku, chunk[i].on_hand, now}));
      const auto count = static_cast<std::int64_t>(inserted.size());
      // One event per transaction: at most kImportRowsPerTransaction levels.
      addStockChanged(outbox_, s, std::move(inserted));
      return count;
    });
    if (inserted_now > 0) outbox_.committed();
    created += inserted_now;
  }
  return created;
}

}  // namespace emporium::inventory
