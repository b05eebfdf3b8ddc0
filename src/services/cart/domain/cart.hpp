#pragma once
// Cart domain types: limits, the outcomes of cart writes, the priced view a
// shopper sees, and cart ids.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emporium::cart {

inline constexpr std::int64_t kMaxQuantity = 99;  // per line
inline constexpr std::size_t kMaxLines = 100;     // distinct SKUs per cart
inline constexpr std::string_view kDefaultCurrency = "USD";

/// Who is asking: a signed-in user's id, or nullopt for a guest. A guest cart
/// (no owner) is usable by anyone holding its id; a user's cart only by that user.
using Caller = std::optional<std::string>;

/// Why a cart write was refused; kNone when it was applied.
enum class CartProblem {
  kNone,
  kCartNotFound,       // no such cart, or it belongs to someone else
  kUnknownSku,         // the catalog does not sell it (unknown or archived)
  kLineNotFound,       // the cart has no line for that SKU
  kQuantityOverLimit,  // the line would exceed kMaxQuantity
  kNotEnoughStock,     // the line would exceed the available stock
  kTooManyLines,       // the cart already holds kMaxLines SKUs
};

struct CartChange {
  CartProblem problem = CartProblem::kNone;
  /// kNotEnoughStock: how many units are available.
  std::int64_t available = 0;
  /// kNone: whether the write created a line (rather than changing one).
  bool created_line = false;
  bool ok() const { return problem == CartProblem::kNone; }
};

enum class MergeOutcome {
  kMerged,    // the guest cart's lines moved into the user's cart, the guest cart is gone
  kSameCart,  // the id named the user's own cart: nothing to do
  kNotFound,  // no such cart, or another user's
};

struct MergeResult {
  MergeOutcome outcome = MergeOutcome::kNotFound;
  std::string user_cart_id;
};

/// One stored line, as the cart holds it.
struct StoredLine {
  std::string sku;
  std::int64_t quantity = 0;
};

/// One line as shown, priced from the catalog now.
struct CartViewLine {
  std::string sku;
  std::int64_t product_id = 0;
  std::string title;
  std::int64_t quantity = 0;
  std::int64_t unit_price = 0;  // minor units
  std::string currency;
  std::int64_t line_total = 0;
  /// False when the product is archived: shown, but not counted nor sold.
  bool available = true;
  /// Whether inventory can supply the line's quantity now.
  bool in_stock = true;
};

struct CartView {
  std::string id;
  std::optional<std::string> user_id;
  std::vector<CartViewLine> items;
  std::int64_t item_count = 0;  // units over the available lines
  std::int64_t subtotal = 0;    // minor units over the available lines
  std::string currency{kDefaultCurrency};
};

/// "cart_" + 128 random bits (libsodium) in lowercase base32: unguessable.
std::string newCartId();
/// Whether text has the shape newCartId() produces (checked before any query).
bool isCartId(std::string_view text);

}  // namespace emporium::cart
