#pragma once
// inventory::Client for suites that test another service: stock levels and
// reservations in memory, with the contract's rules (all-or-nothing holds,
// every step idempotent per order, returns once per key), plus counters a
// test can read. Thread-safe, as the real one is. Holds do not expire by
// themselves: expire() is the inventory sweeper.

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "services/inventory/client.hpp"

namespace emporium::test {

class FakeInventory final : public inventory::Client {
 public:
  std::vector<inventory::StockLevel> levels(std::span<const std::string> skus) override {
    const std::lock_guard lock(mutex_);
    std::vector<inventory::StockLevel> out;
    for (const auto& sku : skus) {
      if (const auto it = stock_.find(sku); it != stock_.end()) out.push_back(it->second);
    }
    return out;
  }

  inventory::ReserveResult reserve(const std::string& order_id,
                                   std::span<const inventory::ReservationLine> lines,
                                   std::chrono::seconds /*hold_for*/) override {
    ++reserved;
    const std::lock_guard lock(mutex_);
    if (const auto it = orders_.find(order_id);
        it != orders_.end() && it->second.state != State::kReleased) {
      return {true, {}};  // holds (or used) its stock already
    }
    std::map<std::string, std::int64_t> wanted;  // per SKU, sorted
    for (const auto& line : lines) wanted[line.sku] += line.quantity;
    std::vector<std::string> short_skus;
    for (const auto& [sku, quantity] : wanted) {
      const auto it = stock_.find(sku);
      if (it == stock_.end() || it->second.available() < quantity) short_skus.push_back(sku);
    }
    if (!short_skus.empty()) return {false, std::move(short_skus)};
    for (const auto& [sku, quantity] : wanted) stock_[sku].reserved += quantity;
    orders_[order_id] = Reservation{State::kHeld, std::move(wanted)};
    return {true, {}};
  }

  bool confirm(const std::string& order_id) override {
    const std::lock_guard lock(mutex_);
    const auto it = orders_.find(order_id);
    if (it == orders_.end()) return false;
    if (it->second.state == State::kHeld) it->second.state = State::kConfirmed;
    return it->second.state != State::kReleased;  // confirmed or fulfilled already: true
  }

  void fulfil(const std::string& order_id) override {
    const std::lock_guard lock(mutex_);
    auto* held = live(order_id);
    if (held == nullptr) return;
    for (const auto& [sku, quantity] : held->lines) {
      stock_[sku].reserved -= quantity;
      stock_[sku].on_hand -= quantity;
    }
    held->state = State::kFulfilled;
  }

  /// Counted in `released` whether or not anything was held.
  void release(const std::string& order_id) override {
    ++released;
    const std::lock_guard lock(mutex_);
    giveBack(order_id);
  }

  void returnToStock(const std::string& key,
                     std::span<const inventory::ReservationLine> lines) override {
    const std::lock_guard lock(mutex_);
    if (!return_keys_.insert(key).second) return;
    for (const auto& line : lines) {
      const auto it = stock_.find(line.sku);
      if (it == stock_.end()) continue;
      it->second.on_hand += line.quantity;
      returned_[line.sku] += line.quantity;
    }
  }

  inventory::SetOnHandResult setOnHand(const std::string& sku, std::int64_t on_hand) override {
    const std::lock_guard lock(mutex_);
    const auto it = stock_.find(sku);
    const inventory::StockLevel current =
        it == stock_.end() ? inventory::StockLevel{sku, 0, 0} : it->second;
    if (on_hand < 0) return {inventory::SetOnHandStatus::kNegative, current};
    if (on_hand < current.reserved) return {inventory::SetOnHandStatus::kBelowReserved, current};
    auto& level = stock_[sku];
    level.sku = sku;
    level.on_hand = on_hand;
    return {inventory::SetOnHandStatus::kDone, level};
  }

  std::int64_t importMissing(std::span<const inventory::StockLevel> levels) override {
    const std::lock_guard lock(mutex_);
    for (const auto& level : levels) {
      if (level.on_hand < 0) throw std::invalid_argument("importMissing: negative on_hand");
    }
    std::int64_t created = 0;
    for (const auto& level : levels) {
      if (stock_.contains(level.sku)) continue;
      stock_[level.sku] = inventory::StockLevel{level.sku, level.on_hand, 0};
      ++created;
    }
    return created;
  }

  std::int64_t count() override {
    const std::lock_guard lock(mutex_);
    return static_cast<std::int64_t>(stock_.size());
  }

  /// The inventory sweeper: the order's hold (not yet confirmed) ran out.
  void expire(const std::string& order_id) {
    const std::lock_guard lock(mutex_);
    const auto it = orders_.find(order_id);
    if (it != orders_.end() && it->second.state == State::kHeld) giveBack(order_id);
  }
  /// Units of the SKU that came back through returnToStock().
  std::int64_t returnedOf(const std::string& sku) {
    const std::lock_guard lock(mutex_);
    const auto it = returned_.find(sku);
    return it == returned_.end() ? 0 : it->second;
  }

  std::atomic<int> reserved{0};  // reserve() calls
  std::atomic<int> released{0};  // release() calls

 private:
  enum class State { kHeld, kConfirmed, kFulfilled, kReleased };
  struct Reservation {
    State state = State::kHeld;
    std::map<std::string, std::int64_t> lines;
  };

  Reservation* live(const std::string& order_id) {
    const auto it = orders_.find(order_id);
    if (it == orders_.end()) return nullptr;
    const auto state = it->second.state;
    return state == State::kHeld || state == State::kConfirmed ? &it->second : nullptr;
  }
  void giveBack(const std::string& order_id) {
    auto* held = live(order_id);
    if (held == nullptr) return;
    for (const auto& [sku, quantity] : held->lines) stock_[sku].reserved -= quantity;
    held->state = State::kReleased;
  }

  std::mutex mutex_;
  std::map<std::string, inventory::StockLevel> stock_;
  std::map<std::string, Reservation> orders_;
  std::set<std::string> return_keys_;
  std::map<std::string, std::int64_t> returned_;
};

}  // namespace emporium::test
