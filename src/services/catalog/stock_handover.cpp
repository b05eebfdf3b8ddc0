#include "services/catalog/stock_handover.hpp"

#include <vector>

namespace emporium::catalog {

std::int64_t handOverStock(StockMirrorStore& catalog, inventory::Client& inventory,
                           const log::Logger& logger) {
  const std::int64_t variants = catalog.variantCount();
  if (variants == 0 || inventory.count() >= variants) return 0;
  constexpr std::size_t kPage = 5000;
  std::int64_t created = 0;
  std::string after;
  for (;;) {
    const auto page = catalog.stockAfter(after, kPage);
    if (page.empty()) break;
    std::vector<inventory::StockLevel> levels;
    levels.reserve(page.size());
    for (const auto& variant : page) levels.push_back({variant.sku, variant.on_hand, 0});
    created += inventory.importMissing(levels);
    after = page.back().sku;
  }
  logger.info("stock carried over from the catalog to inventory",
              {{"skus_created", created}, {"catalog_variants", variants}});
  return created;
}

}  // namespace emporium::catalog
