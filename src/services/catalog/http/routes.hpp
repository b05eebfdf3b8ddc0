#pragma once
// The catalog's HTTP surface: browsing (categories, listings with search and
// facets, product detail, reviews, recommendations) and the admin endpoints.

#include <functional>
#include <optional>
#include <string>

#include "core/cache/tiered_cache.hpp"
#include "core/events/activity_log.hpp"
#include "core/http/router.hpp"
#include "services/catalog/storage/catalog_storage.hpp"

namespace emporium::catalog {

/// What the handlers work with. Owned by CatalogModule.
struct CatalogApi {
  CatalogStorage& storage;
  cache::TieredCache& cache;
  /// Where product views and searches are recorded (analytics, replayable).
  events::ActivityLog& activity;
  /// The name a review is shown under, for a user id ("Alex P."); nullopt for
  /// an unknown user. Supplied by the users service.
  std::function<std::optional<std::string>(const std::string& user_id)> reviewer_name;
  /// Told the stock an admin gave a variant (create, or a patch with stock):
  /// the inventory service owns stock, the catalog only mirrors it.
  std::function<void(const std::string& sku, std::int64_t on_hand)> stock_written;
  /// catalog.reviews_require_purchase: only buyers may review (else 403).
  bool reviews_require_purchase = false;
};

void addRoutes(http::Router& router, CatalogApi& api);

/// Drops every cached copy of a product (by id and by each slug it had) and
/// every cached listing. Called after each write that changes what a shopper sees.
void invalidateProduct(cache::TieredCache& cache, std::int64_t id,
                       std::initializer_list<std::string_view> slugs);

}  // namespace emporium::catalog
