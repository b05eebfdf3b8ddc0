#pragma once
// The catalog's mirror of inventory's figures: whether a variant is in stock
// (for "in stock" filters and badges), and the stock carried over to the
// inventory service when it starts on an older catalog.
//
// variants.stock holds the units available as inventory last published them
// (stock.changed, applied by the catalog.stock consumer), or, before the
// first such level, the seed's or an admin's figure, which start-up hands
// over to inventory. Inventory's own rows are the truth; this is a read model.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/sql/database.hpp"

namespace emporium::catalog {

struct StockLevel {
  std::string sku;
  std::int64_t product_id = 0;
  std::int64_t on_hand = 0;
};

/// One SKU's level as a stock.changed event carries it.
struct PublishedLevel {
  std::string sku;
  std::int64_t available = 0;
  /// Grows by 1 with each change of the SKU (docs/events.md).
  std::int64_t version = 0;
};

/// A product whose in-stock state a mirrored level flipped: shoppers see a
/// difference, so its cached pages go.
struct StockFlip {
  std::int64_t product_id = 0;
  std::string slug;
};

class StockMirrorStore {
 public:
  explicit StockMirrorStore(sql::Database& db) : db_(db) {}

  /// Applies one event's levels in one transaction. A level whose version is
  /// not newer than the variant's is skipped (a redelivered or overtaken
  /// event), as is an unknown SKU (not sold here, or deleted). Returns the
  /// products that went in or out of stock, each once.
  std::vector<StockFlip> applyLevels(std::span<const PublishedLevel> levels);
  std::int64_t variantCount();
  /// Every variant's stock in sku order, keyset-paged: the SKUs after
  /// `after_sku` ("" for the first page), at most `limit`. Carries stock over
  /// to the inventory service (InventoryService::importMissing).
  std::vector<StockLevel> stockAfter(const std::string& after_sku, std::size_t limit);

 private:
  sql::Database& db_;
};

}  // namespace emporium::catalog
