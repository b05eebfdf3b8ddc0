#include "services/catalog/storage/stock_mirror_store.hpp"

#include <algorithm>

#include "core/util/ids.hpp"
#include "services/catalog/storage/rows.hpp"

namespace emporium::catalog {
namespace {

constexpr sql::Query kMirrorRead{
    "catalog.mirror_read",
    "SELECT v.stock, v.product_id, p.slug FROM variants v JOIN products p ON p.id = v.product_id "
    "WHERE v.sku = $1"};
constexpr sql::Query kMirrorWrite{"catalog.mirror_write",
                                  "UPDATE variants SET stock = $2 WHERE sku = $1"};
constexpr sql::Query kVariantCount{"catalog.variant_count", "SELECT COUNT(*) FROM variants"};
constexpr sql::Query kStockAfter{
    "catalog.stock_after",
    "SELECT sku, product_id, stock FROM variants WHERE sku > $1 ORDER BY sku LIMIT $2"};

}  // namespace

std::optional<StockMirror> StockMirrorStore::mirrorStock(const std::string& sku,
                                                         std::int64_t available) {
  const std::int64_t shown = std::max<std::int64_t>(available, 0);
  // Shoppers see in stock or not, never the count: only a flip is written,
  // so most checkouts cost the catalog one read and no commit. (The exact
  // figures are the inventory service's: GET /admin/inventory/{sku}.)
  const auto read = [&](sql::Session& s) -> std::optional<StockMirror> {
    const auto rows = s.execute(kMirrorRead, {sku});
    if (rows.empty()) return std::nullopt;
    return StockMirror{rows[0].getInt64(1), rows[0].getText(2),
                       (rows[0].getInt64(0) > 0) != (shown > 0)};
  };
  auto seen = db_.read(read);
  if (!seen || !seen->in_stock_changed) return seen;
  return db_.write([&](sql::Session& s) -> std::optional<StockMirror> {
    auto mirror = read(s);  // again, inside the write: another call may have flipped it
    if (!mirror || !mirror->in_stock_changed) return mirror;
    s.execute(kMirrorWrite, {sku, shown});
    s.execute(rows::kRefreshDerived, {mirror->product_id, util::nowRfc3339()});
    return mirror;
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
