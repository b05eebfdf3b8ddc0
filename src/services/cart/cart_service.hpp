#pragma once
// The cart service: guest and user carts, priced live from the catalog and
// checked against inventory. Implements cart::Client for the orders saga and
// the operations the cart routes expose.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "core/util/periodic_task.hpp"
#include "services/cart/client.hpp"
#include "services/cart/domain/cart.hpp"
#include "services/cart/storage/cart_store.hpp"
#include "services/catalog/client.hpp"
#include "services/inventory/client.hpp"

namespace emporium::cart {

using Clock = std::function<std::chrono::system_clock::time_point()>;

class CartService final : public Client {
 public:
  /// All three outlive the service; clock defaults to the system clock.
  CartService(sql::Database& db, catalog::Client& catalog, inventory::Client& inventory,
              Clock clock = {});

  // cart::Client
  std::optional<std::vector<CartLine>> linesFor(const std::string& cart_id,
                                                const std::string& user_id) override;
  void removeLines(const std::string& cart_id, const std::vector<CartLine>& lines) override;

  /// A new, empty guest cart's id.
  std::string createGuestCart();
  /// The user's cart id, created on first use.
  std::string userCart(const std::string& user_id);
  /// Whether the cart exists and caller may use it.
  bool usable(const std::string& cart_id, const Caller& caller);
  /// The cart priced now, when caller may use it. Lines whose SKU the catalog
  /// no longer knows are left out; archived ones are shown as not available.
  std::optional<CartView> view(const std::string& cart_id, const Caller& caller);

  /// Adds quantity (1..99) of a purchasable SKU, summed with its line.
  CartChange addItem(const std::string& cart_id, const Caller& caller, const std::string& sku,
                     std::int64_t quantity);
  /// Sets a line's quantity (0..99; 0 removes it).
  CartChange setQuantity(const std::string& cart_id, const Caller& caller, const std::string& sku,
                         std::int64_t quantity);
  /// Removes a line (absent already is fine); false when the cart is not usable by caller.
  bool removeItem(const std::string& cart_id, const Caller& caller, const std::string& sku);
  /// Moves a guest cart's lines into the user's cart, in one transaction.
  MergeResult merge(const std::string& user_id, const std::string& guest_cart_id);

  /// Deletes guest carts untouched for `idle` (30 days by default); returns how many.
  std::int64_t purgeStaleGuestCarts(std::chrono::hours idle = std::chrono::hours(24 * 30));

 private:
  std::string now() const;
  /// The purchasable SKU's stock available now (0 when inventory has no row), or nullopt
  /// when the catalog does not sell it.
  std::optional<std::int64_t> availableToBuy(const std::string& sku);

  CartStore store_;
  catalog::Client& catalog_;
  inventory::Client& inventory_;
  Clock clock_;
};

/// Runs CartService::purgeStaleGuestCarts() every `interval` until destroyed
/// (RAII: destroy it before the service).
class GuestCartPurger {
 public:
  GuestCartPurger(CartService& service, std::chrono::milliseconds interval,
                  const log::Logger& logger);
  void stop() { task_.stop(); }

 private:
  util::PeriodicTask task_;
};

}  // namespace emporium::cart
