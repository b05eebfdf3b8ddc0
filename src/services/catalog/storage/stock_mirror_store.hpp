#pragma once
// The catalog's mirror of inventory's figures: whether a variant is in stock
// (for "in stock" filters and badges), and the stock carried over to the
// inventory service when it starts on an older catalog.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sql/database.hpp"

namespace emporium::catalog {

struct StockLevel {
  std::string sku;
  std::int64_t product_id = 0;
  std::int64_t on_hand = 0;
};

/// What mirroring inventory's figure into a variant changed.
struct StockMirror {
  std::int64_t product_id = 0;
  std::string slug;
  bool in_stock_changed = false;  // shoppers see a difference: drop cached pages
};

class StockMirrorStore {
 public:
  explicit StockMirrorStore(sql::Database& db) : db_(db) {}

  /// Mirrors inventory's available units into the variant (the catalog's read
  /// model for "in stock" filters and badges): written only when the variant
  /// goes in or out of stock. nullopt: unknown SKU.
  std::optional<StockMirror> mirrorStock(const std::string& sku, std::int64_t available);
  std::int64_t variantCount();
  /// Every variant's stock in sku order, keyset-paged: the SKUs after
  /// `after_sku` ("" for the first page), at most `limit`. Carries stock over
  /// to the inventory service (InventoryService::importMissing).
  std::vector<StockLevel> stockAfter(const std::string& after_sku, std::size_t limit);

 private:
  sql::Database& db_;
};

}  // namespace emporium::catalog
