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

  CatalogModule(sql::Database& db, cache::TieredCache& cache, const log::Logger& logger,
                ReviewerName reviewer_name);

  void addRoutes(http::Router& router) { catalog::addRoutes(router, api_); }
  CatalogStore& store() { return store_; }
  RatingUpdater& ratings() { return ratings_; }

 private:
  CatalogStore store_;
  RatingUpdater ratings_;
  CatalogApi api_;
};

/// "Alex P." for "Alex Parker": how a reviewer is shown to other shoppers.
std::string reviewerDisplayName(std::string_view full_name);

}  // namespace emporium::catalog
