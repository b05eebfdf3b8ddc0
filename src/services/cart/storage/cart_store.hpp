#pragma once
// Cart's SQL. Every write first bumps the cart's updated_at with an UPDATE
// that also checks who may use the cart: on PostgreSQL that row lock
// serializes concurrent writes to one cart (SQLite has a single writer), so
// the checks that follow (line count, summed quantity) cannot race.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sql/database.hpp"
#include "services/cart/client.hpp"
#include "services/cart/domain/cart.hpp"

namespace emporium::cart {

/// What a line change may be: the stock a SKU has now (checked in the transaction).
struct LineRequest {
  std::string sku;
  std::int64_t quantity = 0;
  std::int64_t available = 0;
};

/// A cart as stored: its owner (nullopt for a guest cart) and its lines.
struct CartContents {
  std::optional<std::string> owner;
  std::vector<StoredLine> lines;  // oldest first
};

class CartStore {
 public:
  explicit CartStore(sql::Database& db) : db_(db) {}

  void insertGuestCart(const std::string& id, const std::string& now);
  /// The user's cart id, creating it with new_id when the user has none
  /// (two concurrent first calls get the same cart).
  std::string userCart(const std::string& user_id, const std::string& new_id,
                       const std::string& now);
  /// The cart's owner (nullopt inside for a guest cart), or nullopt when the
  /// cart does not exist or caller may not use it.
  std::optional<std::optional<std::string>> owner(const std::string& cart_id, const Caller& caller);
  /// The cart (one snapshot), when caller may use it.
  std::optional<CartContents> contents(const std::string& cart_id, const Caller& caller);

  /// Adds quantity to the line (creating it).
  CartChange addItem(const std::string& cart_id, const Caller& caller, const LineRequest& line,
                     const std::string& now);
  /// Sets the line's quantity; 0 removes it. Raising it beyond available is refused.
  CartChange setQuantity(const std::string& cart_id, const Caller& caller, const LineRequest& line,
                         const std::string& now);
  /// Removes the line if present; false when the cart is not usable by caller.
  bool removeItem(const std::string& cart_id, const Caller& caller, const std::string& sku,
                  const std::string& now);
  /// Subtracts exactly these quantities (a line reaching 0 goes).
  void removeLines(const std::string& cart_id, const std::vector<CartLine>& lines,
                   const std::string& now);
  /// Moves a guest cart's lines into the user's cart (summed, capped at
  /// kMaxQuantity, at most kMaxLines lines) and deletes the guest cart.
  MergeResult merge(const std::string& user_id, const std::string& guest_cart_id,
                    const std::string& new_user_cart_id, const std::string& now);
  /// Deletes guest carts not written since `before`; returns how many.
  std::int64_t purgeGuestCarts(const std::string& before);

 private:
  sql::Database& db_;
};

}  // namespace emporium::cart
