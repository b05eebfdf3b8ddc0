#pragma once
// cart::Client for suites that test another service: carts held in memory,
// put in by the test. Thread-safe, as the real one is.

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "services/cart/client.hpp"

namespace emporium::test {

class FakeCart final : public cart::Client {
 public:
  /// The cart's lines when it is a guest cart (no owner) or the user's own.
  std::optional<std::vector<cart::CartLine>> linesFor(const std::string& cart_id,
                                                      const std::string& user_id) override {
    const std::lock_guard lock(mutex_);
    const auto it = carts_.find(cart_id);
    if (it == carts_.end()) return std::nullopt;
    if (!it->second.owner.empty() && it->second.owner != user_id) return std::nullopt;
    return it->second.lines;
  }

  /// Takes exactly these quantities off the cart (lines added meanwhile stay);
  /// throws while unavailable is set, as a cart service that cannot be reached.
  void removeLines(const std::string& cart_id, const std::vector<cart::CartLine>& lines) override {
    if (unavailable) throw std::runtime_error("cart service unavailable");
    const std::lock_guard lock(mutex_);
    ++emptied;
    const auto it = carts_.find(cart_id);
    if (it == carts_.end()) return;
    auto& held = it->second.lines;
    for (const auto& line : lines) {
      if (line.quantity < 1) continue;
      for (auto h = held.begin(); h != held.end(); ++h) {
        if (h->sku != line.sku) continue;
        h->quantity -= line.quantity;
        if (h->quantity <= 0) held.erase(h);
        break;
      }
    }
  }

  /// Puts (or replaces) a cart; an empty owner makes it a guest cart.
  void put(const std::string& cart_id, const std::string& owner,
           std::vector<cart::CartLine> lines) {
    const std::lock_guard lock(mutex_);
    carts_[cart_id] = Cart{owner, std::move(lines)};
  }

  /// removeLines() calls that went through.
  std::atomic<int> emptied{0};
  /// While set, removeLines() throws.
  std::atomic<bool> unavailable{false};

 private:
  struct Cart {
    std::string owner;
    std::vector<cart::CartLine> lines;
  };

  std::mutex mutex_;
  std::map<std::string, Cart> carts_;
};

}  // namespace emporium::test
