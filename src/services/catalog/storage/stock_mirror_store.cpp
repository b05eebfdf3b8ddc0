#include "services/catalog/storage/stock_mirror_store.hpp"

#include <algorithm>

#include "core/util/ids.hpp"
#include "services/catalog/storage/rows.hpp"

namespace emporium::catalog {
namespace {

// Takes the variant's row lock first when the level is newer, so two
// instances applying levels of one SKU at once see each other's write before
// deciding whether the variant flipped (PostgreSQL's READ COMMITTED would
// otherwise let both read the old figure). SQLite's writer lock does it anyway.
// It returns the figure held once the lock is taken: the one to compare with.
constexpr sql::Query kMirrorLock{
    "catalog.mirror_lock",
    "UPDATE variants SET stock_version = stock_version "
    "WHERE sku = $1 AND stock_version < $2 RETURNING product_id, stock"};
constexpr sql::Query kProductSlug{"catalog.mirror_slug", "SELECT slug FROM products WHERE id = $1"};
constexpr sql::Query kMirrorWrite{
    "catalog.mirror_write", "UPDATE variants SET stock = $2, stock_version = $3 WHERE sku = $1"};
constexpr sql::Query kVariantCount{"catalog.variant_count", "SELECT COUNT(*) FROM variants"};
constexpr sql::Query kStockAfter{
    "catalog.stock_after",
    "SELECT sku, product_id, stock FROM variants WHERE sku > $1 ORDER BY sku LIMIT $2"};

}  // namespace

std::vector<StockFlip> StockMirrorStore::applyLevels(std::span<const PublishedLevel> levels) {
  if (levels.empty()) return {};
  return db_.write([&](sql::Session& s) {
    std::vector<StockFlip> flips;
    for (const auto& level : levels) {
      const auto locked = s.execute(kMirrorLock, {level.sku, level.version});
      if (locked.empty()) continue;  // unknown SKU, or this level is not newer
      const std::int64_t product_id = locked[0].getInt64(0);
      const std::int64_t held = locked[0].getInt64(1);
      // Shoppers see in stock or not, never the count.
      const std::int64_t shown = std::max<std::int64_t>(level.available, 0);
      s.execute(kMirrorWrite, {level.sku, shown, level.version});
      if ((held > 0) == (shown > 0)) continue;
      s.execute(rows::kRefreshDerived, {product_id, util::nowRfc3339()});
      const bool seen = std::any_of(flips.begin(), flips.end(),
                                    [&](const StockFlip& f) { return f.product_id == product_id; });
      if (seen) continue;
      const auto slug = s.execute(kProductSlug, {product_id});
      flips.push_back(StockFlip{product_id, slug.empty() ? std::string() : slug[0].getText(0)});
    }
    return flips;
  });
}

std::vector<StockLevel> StockMirrorStore::stockAfter(const std::string& after_sku,
                                                     std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    std::vector<StockLevel> page;
    for (const auto& row : s.execute(kStockAfter, {after_sku, static_cast<std::int64_t>(limit)})) {
      page.push_back(StockLevel{row.getText(0), row.getInt64(1), row.getInt64(2)});
    }
    return page;
  });
}

std::int64_t StockMirrorStore::variantCount() {
  return db_.read([&](sql::Session& s) { return s.execute(kVariantCount)[0].getInt64(0); });
}

}  // namespace emporium::catalog
