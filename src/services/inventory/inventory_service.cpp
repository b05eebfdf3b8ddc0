#include "services/inventory/inventory_service.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>
#include <utility>

#include "core/util/ids.hpp"

namespace emporium::inventory {
namespace {

// Orders released per sweep transaction batch: bounds one read of expired orders.
constexpr std::int64_t kSweepBatch = 500;

// One line per SKU (quantities summed), sorted by sku: the lock order every
// stock UPDATE follows.
std::vector<ReservationLine> normalize(std::span<const ReservationLine> lines) {
  std::map<std::string, std::int64_t> merged;
  for (const auto& line : lines) {
    if (line.sku.empty()) throw std::invalid_argument("reserve: a line has an empty sku");
    if (line.quantity < 1) {
      throw std::invalid_argument("reserve: quantity of " + line.sku + " must be at least 1");
    }
    merged[line.sku] += line.quantity;
  }
  std::vector<ReservationLine> out;
  out.reserve(merged.size());
  for (auto& [sku, quantity] : merged) out.push_back(ReservationLine{sku, quantity});
  return out;
}

}  // namespace

InventoryService::InventoryService(sql::Database& db, const events::Outbox& outbox,
                                   std::int64_t low_stock_threshold, Clock clock)
    : store_(db, outbox, low_stock_threshold), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

std::string InventoryService::now() const { return util::formatRfc3339(clock_()); }

std::vector<StockLevel> InventoryService::levels(std::span<const std::string> skus) {
  return store_.levels(skus);
}

ReserveResult InventoryService::reserve(const std::string& order_id,
                                        std::span<const ReservationLine> lines,
                                        std::chrono::seconds hold_for) {
  if (order_id.empty()) throw std::invalid_argument("reserve: empty order id");
  if (lines.empty()) throw std::invalid_argument("reserve: no lines");
  if (hold_for.count() < 1) throw std::invalid_argument("reserve: hold_for must be positive");
  const auto normalized = normalize(lines);
  const auto at = clock_();
  auto result = store_.reserve(order_id, normalized, util::formatRfc3339(at),
                               util::formatRfc3339(at + hold_for));
  if (result.reserved) {
    ++reserved_total_;
  } else {
    ++refused_total_;
  }
  return result;
}

bool InventoryService::confirm(const std::string& order_id) {
  return store_.confirm(order_id, now());
}

void InventoryService::fulfil(const std::string& order_id) { store_.fulfil(order_id, now()); }

void InventoryService::release(const std::string& order_id) {
  const auto done = store_.release(order_id, now());
  if (!done.lines.empty()) ++released_total_;
}

void InventoryService::returnToStock(const std::string& key,
                                     std::span<const ReservationLine> lines) {
  if (key.empty()) throw std::invalid_argument("returnToStock needs a key");
  for (const auto& line : lines) {
    if (line.quantity < 1) throw std::invalid_argument("returnToStock with a quantity below 1");
  }
  store_.returnToStock(key, lines, now());
}

std::optional<StockLevel> InventoryService::level(const std::string& sku) {
  return store_.level(sku);
}

SetOnHandResult InventoryService::setOnHand(const std::string& sku, std::int64_t on_hand) {
  return store_.setOnHand(sku, on_hand, now());
}

std::int64_t InventoryService::importMissing(std::span<const StockLevel> levels) {
  return store_.importMissing(levels, now());
}

std::int64_t InventoryService::count() { return store_.count(); }

std::int64_t InventoryService::sweepExpired(std::chrono::system_clock::time_point now) {
  const std::string at = util::formatRfc3339(now);
  std::int64_t released = 0;
  while (true) {
    const auto orders = store_.expiredOrders(at, kSweepBatch);
    std::int64_t released_now = 0;
    // One transaction per order, with the same lock order as release(), so
    // the sweep never deadlocks with a saga step; the state guard makes a
    // concurrent confirm() or release() of the same order win or lose cleanly.
    for (const auto& order_id : orders) {
      const auto done = store_.releaseExpired(order_id, at);
      if (done.lines.empty()) continue;
      ++released_now;
    }
    released += released_now;
    expired_total_ += static_cast<std::uint64_t>(released_now);
    // A short batch was the last; a full one where nothing moved means others
    // are releasing the same orders: stop rather than spin.
    if (static_cast<std::int64_t>(orders.size()) < kSweepBatch || released_now == 0) break;
  }
  return released;
}

void InventoryService::collect(metrics::Exposition& out) const {
  struct Counter {
    std::string_view name;
    std::string_view help;
    const std::atomic<std::uint64_t>& value;
  };
  const std::array<Counter, 4> counters{{
      {"emporium_inventory_reservations_total", "Orders whose stock was reserved.",
       reserved_total_},
      {"emporium_inventory_reservations_refused_total", "Reservations refused for lack of stock.",
       refused_total_},
      {"emporium_inventory_reservations_released_total",
       "Reservations given back (declined, cancelled).", released_total_},
      {"emporium_inventory_reservations_expired_total",
       "Held reservations released by the expiry sweep.", expired_total_},
  }};
  for (const Counter& c : counters) {
    out.counter(c.name, c.help, c.value.load(std::memory_order_relaxed));
  }
}

ExpirySweeper::ExpirySweeper(InventoryService& service, std::chrono::milliseconds interval,
                             const log::Logger& logger)
    : task_(
          interval,
          [&service, &logger] {
            const auto released = service.sweepExpired();
            if (released > 0) {
              logger.info("expired stock holds released", {{"orders", released}});
            }
          },
          [&logger](const std::exception& e) {
            logger.warn("stock expiry sweep failed", {{"error", e.what()}});
          }) {}

}  // namespace emporium::inventory
