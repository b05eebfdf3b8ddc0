#pragma once
// What the orders saga may ask of carts: the lines to check out, and clearing
// them once the order is confirmed. Prices are not here: the saga prices each
// line from the catalog at checkout.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emporium::cart {

struct CartLine {
  std::string sku;
  std::int64_t quantity = 0;
};

class Client {
 public:
  virtual ~Client() = default;
  /// The cart's lines when user_id may use it (a guest cart, or this user's
  /// own); nullopt when there is no such cart or it belongs to someone else.
  virtual std::optional<std::vector<CartLine>> linesFor(const std::string& cart_id,
                                                        const std::string& user_id) = 0;
  /// Removes the checked-out lines (exactly those quantities; lines added
  /// meanwhile stay). Idempotent enough for a repeated saga step.
  virtual void removeLines(const std::string& cart_id, const std::vector<CartLine>& lines) = 0;
};

}  // namespace emporium::cart
