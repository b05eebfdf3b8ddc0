#include "services/cart/storage/cart_store.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace emporium::cart {
namespace {

constexpr sql::Query kInsertGuestCart{
    "cart.insert_guest_cart",
    "INSERT INTO carts (id, user_id, created_at, updated_at) VALUES ($1, NULL, $2, $2)"};
constexpr sql::Query kInsertUserCart{
    "cart.insert_user_cart",
    "INSERT INTO carts (id, user_id, created_at, updated_at) VALUES ($1, $2, $3, $3) "
    "ON CONFLICT (user_id) DO NOTHING"};
constexpr sql::Query kCartOfUser{"cart.cart_of_user", "SELECT id FROM carts WHERE user_id = $1"};
constexpr sql::Query kOwner{"cart.owner", "SELECT user_id FROM carts WHERE id = $1"};
// Every write starts here: bumps the activity time and, on PostgreSQL, locks
// the cart row until commit.
constexpr sql::Query kTouch{"cart.touch",
                            "UPDATE carts SET updated_at = $2 WHERE id = $1 RETURNING user_id"};
constexpr sql::Query kLines{
    "cart.lines", "SELECT sku, quantity FROM cart_items WHERE cart_id = $1 ORDER BY added_at, sku"};
constexpr sql::Query kLineQuantity{
    "cart.line_quantity", "SELECT quantity FROM cart_items WHERE cart_id = $1 AND sku = $2"};
constexpr sql::Query kLineCount{"cart.line_count",
                                "SELECT COUNT(*) FROM cart_items WHERE cart_id = $1"};
constexpr sql::Query kInsertLine{
    "cart.insert_line",
    "INSERT INTO cart_items (cart_id, sku, quantity, added_at) VALUES ($1, $2, $3, $4)"};
constexpr sql::Query kSetLine{
    "cart.set_line", "UPDATE cart_items SET quantity = $3 WHERE cart_id = $1 AND sku = $2"};
constexpr sql::Query kDeleteLine{"cart.delete_line",
                                 "DELETE FROM cart_items WHERE cart_id = $1 AND sku = $2"};
constexpr sql::Query kSubtractLine{"cart.subtract_line",
                                   "UPDATE cart_items SET quantity = quantity - $3 "
                                   "WHERE cart_id = $1 AND sku = $2 AND quantity > $3"};
constexpr sql::Query kDeleteLineUpTo{
    "cart.delete_line_up_to",
    "DELETE FROM cart_items WHERE cart_id = $1 AND sku = $2 AND quantity <= $3"};
// Lines go with their cart (ON DELETE CASCADE), in the same statement.
constexpr sql::Query kDeleteCart{"cart.delete_cart", "DELETE FROM carts WHERE id = $1"};
constexpr sql::Query kPurgeGuestCarts{
    "cart.purge_guest_carts", "DELETE FROM carts WHERE user_id IS NULL AND updated_at < $1"};

/// Thrown inside a write transaction to roll it back and answer `value`.
template <class T>
struct Refused {
  T value;
};

bool mayUse(const std::optional<std::string>& owner, const Caller& caller) {
  return !owner || (caller && *owner == *caller);
}

std::vector<StoredLine> readLines(sql::Session& s, const std::string& cart_id) {
  std::vector<StoredLine> out;
  for (const auto& row : s.execute(kLines, {cart_id})) {
    out.push_back(StoredLine{row.getText(0), row.getInt64(1)});
  }
  return out;
}

std::optional<std::int64_t> lineQuantity(sql::Session& s, const std::string& cart_id,
                                         const std::string& sku) {
  const auto rows = s.execute(kLineQuantity, {cart_id, sku});
  if (rows.empty()) return std::nullopt;
  return rows[0].getInt64(0);
}

/// Bumps the cart and checks caller may use it; refuses (rolling back) otherwise.
void touchFor(sql::Session& s, const std::string& cart_id, const Caller& caller,
              const std::string& now) {
  const auto rows = s.execute(kTouch, {cart_id, now});
  if (rows.empty() || !mayUse(rows[0].getOptionalText(0), caller)) {
    throw Refused<CartChange>{{CartProblem::kCartNotFound}};
  }
}

template <class F>
CartChange refusable(sql::Database& db, F&& body) {
  try {
    return db.write(std::forward<F>(body));
  } catch (Refused<CartChange>& refused) {
    return refused.value;
  }
}

}  // namespace

void CartStore::insertGuestCart(const std::string& id, const std::string& now) {
  db_.write([&](sql::Session& s) { s.execute(kInsertGuestCart, {id, now}); });
}

std::string CartStore::userCart(const std::string& user_id, const std::string& new_id,
                                const std::string& now) {
  return db_.write([&](sql::Session& s) {
    if (const auto rows = s.execute(kCartOfUser, {user_id}); !rows.empty()) {
      return rows[0].getText(0);
    }
    // A concurrent first call may insert first: DO NOTHING then, and the
    // SELECT (a new statement, so a new snapshot on PostgreSQL) finds its cart.
    s.execute(kInsertUserCart, {new_id, user_id, now});
    return s.execute(kCartOfUser, {user_id})[0].getText(0);
  });
}

std::optional<std::optional<std::string>> CartStore::owner(const std::string& cart_id,
                                                           const Caller& caller) {
  return db_.read([&](sql::Session& s) -> std::optional<std::optional<std::string>> {
    const auto rows = s.execute(kOwner, {cart_id});
    if (rows.empty()) return std::nullopt;
    auto owner = rows[0].getOptionalText(0);
    if (!mayUse(owner, caller)) return std::nullopt;
    return owner;
  });
}

std::optional<CartContents> CartStore::contents(const std::string& cart_id, const Caller& caller) {
  return db_.read([&](sql::Session& s) -> std::optional<CartContents> {
    const auto rows = s.execute(kOwner, {cart_id});
    if (rows.empty()) return std::nullopt;
    auto owner = rows[0].getOptionalText(0);
    if (!mayUse(owner, caller)) return std::nullopt;
    return CartContents{std::move(owner), readLines(s, cart_id)};
  });
}

CartChange CartStore::addItem(const std::string& cart_id, const Caller& caller,
                              const LineRequest& line, const std::string& now) {
  return refusable(db_, [&](sql::Session& s) {
    touchFor(s, cart_id, caller, now);
    const auto existing = lineQuantity(s, cart_id, line.sku);
    const std::int64_t total = existing.value_or(0) + line.quantity;
    if (total > kMaxQuantity) throw Refused<CartChange>{{CartProblem::kQuantityOverLimit}};
    if (total > line.available) {
      throw Refused<CartChange>{{CartProblem::kNotEnoughStock, line.available}};
    }
    if (existing) {
      s.execute(kSetLine, {cart_id, line.sku, total});
      return CartChange{};
    }
    if (s.execute(kLineCount, {cart_id})[0].getInt64(0) >= static_cast<std::int64_t>(kMaxLines)) {
      throw Refused<CartChange>{{CartProblem::kTooManyLines}};
    }
    s.execute(kInsertLine, {cart_id, line.sku, total, now});
    return CartChange{.created_line = true};
  });
}

CartChange CartStore::setQuantity(const std::string& cart_id, const Caller& caller,
                                  const LineRequest& line, const std::string& now) {
  return refusable(db_, [&](sql::Session& s) {
    touchFor(s, cart_id, caller, now);
    const auto existing = lineQuantity(s, cart_id, line.sku);
    if (!existing) throw Refused<CartChange>{{CartProblem::kLineNotFound}};
    if (line.quantity == 0) {
      s.execute(kDeleteLine, {cart_id, line.sku});
      return CartChange{};
    }
    if (line.quantity > kMaxQuantity) throw Refused<CartChange>{{CartProblem::kQuantityOverLimit}};
    // Lowering a line is always allowed, even when stock fell below it: the
    // shopper is moving toward what can be sold.
    if (line.quantity > *existing && line.quantity > line.available) {
      throw Refused<CartChange>{{CartProblem::kNotEnoughStock, line.available}};
    }
    s.execute(kSetLine, {cart_id, line.sku, line.quantity});
    return CartChange{};
  });
}

bool CartStore::removeItem(const std::string& cart_id, const Caller& caller, const std::string& sku,
                           const std::string& now) {
  return refusable(db_,
                   [&](sql::Session& s) {
                     touchFor(s, cart_id, caller, now);
                     s.execute(kDeleteLine, {cart_id, sku});
                     return CartChange{};
                   })
      .ok();
}

void CartStore::removeLines(const std::string& cart_id, const std::vector<CartLine>& lines,
                            const std::string& now) {
  db_.write([&](sql::Session& s) {
    if (s.execute(kTouch, {cart_id, now}).empty()) return;  // the cart is gone: nothing to remove
    for (const auto& line : lines) {
      if (line.quantity < 1) continue;
      // Exactly the checked-out units: what was added since stays.
      if (s.execute(kSubtractLine, {cart_id, line.sku, line.quantity}).affectedRows() == 0) {
        s.execute(kDeleteLineUpTo, {cart_id, line.sku, line.quantity});
      }
    }
  });
}

MergeResult CartStore::merge(const std::string& user_id, const std::string& guest_cart_id,
                             const std::string& new_user_cart_id, const std::string& now) {
  try {
    return db_.write([&](sql::Session& s) {
      s.execute(kInsertUserCart, {new_user_cart_id, user_id, now});
      const std::string user_cart = s.execute(kCartOfUser, {user_id})[0].getText(0);
      if (guest_cart_id == user_cart) return MergeResult{MergeOutcome::kSameCart, user_cart};
      const auto guest = s.execute(kTouch, {guest_cart_id, now});
      // Only a guest cart can be merged; another user's cart is not found.
      if (guest.empty() || !guest[0].isNull(0)) {
        throw Refused<MergeResult>{{MergeOutcome::kNotFound, {}}};
      }
      s.execute(kTouch, {user_cart, now});

      std::map<std::string, std::int64_t> mine;
      for (auto& line : readLines(s, user_cart)) mine.emplace(std::move(line.sku), line.quantity);
      // Guest lines oldest first: when the user's cart fills up, the lines
      // the shopper added last are the ones left out.
      for (const auto& line : readLines(s, guest_cart_id)) {
        if (const auto it = mine.find(line.sku); it != mine.end()) {
          const std::int64_t total = std::min(kMaxQuantity, it->second + line.quantity);
          if (total != it->second) s.execute(kSetLine, {user_cart, line.sku, total});
          it->second = total;
        } else if (mine.size() < kMaxLines) {
          const std::int64_t quantity = std::min(kMaxQuantity, line.quantity);
          s.execute(kInsertLine, {user_cart, line.sku, quantity, now});
          mine.emplace(line.sku, quantity);
        }
      }
      s.execute(kDeleteCart, {guest_cart_id});
      return MergeResult{MergeOutcome::kMerged, user_cart};
    });
  } catch (Refused<MergeResult>& refused) {
    // Rolled back, the user's cart creation included: nothing changed.
    return MergeResult{refused.value.outcome, {}};
  }
}

std::int64_t CartStore::purgeGuestCarts(const std::string& before) {
  return db_.write(
      [&](sql::Session& s) { return s.execute(kPurgeGuestCarts, {before}).affectedRows(); });
}

}  // namespace emporium::cart
