#pragma once
// The catalog service assembled: its store, the rating updater and the
// routes, over one database and the shared cache tiers.

#include <functional>
#include <optional>
#include <string>

#include "core/cache/tiered_cache.hpp"
#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "services/catalog/domain/rating_updater.hpp"
#include "services/catalog/http/routes.hpp"
#include "services/catalog/storage/catalog_store.hpp"

namespace emporium::catalog {

class CatalogModule {
 public:
  using ReviewerName = std::function<std::optional<std::string>(const std::string& user_id)>;

  using StockWritten = std::function<void(const std::string& sku, std::int64_t on_hand)>;

  CatalogModule(sql::Database& db, cache::TieredCache& cache, const log::Logger& logger,
                ReviewerName reviewer_name, StockWritten stock_written = {});

  /// Mirrors inventory's available units for a SKU into the catalog and drops
  /// cached pages when the product's in-stock state changed. Never throws:
  /// the mirror is a read model, and a failure is logged and healed by the
  /// next change.
  void mirrorStock(const std::string& sku, std::int64_t available) noexcept;

  void addRoutes(http::Router& router) { catalog::addRoutes(router, api_); }
  CatalogStore& store() { return store_; }
  RatingUpdater& ratings() { return ratings_; }

 private:
  CatalogStore store_;
  RatingUpdater ratings_;
  CatalogApi api_;
  cache::TieredCache& cache_;
  const log::Logger& logger_;
};

/// "Alex P." for "Alex Parker": how a reviewer is shown to other shoppers.
std::string reviewerDisplayName(std::string_view full_name);

}  // namespace emporium::catalog
