#pragma once
// The catalog service assembled: its storage, the ratings consumer and the
// routes, over one database and the shared cache tiers.

#include <array>
#include <functional>
#include <optional>
#include <string>

#include "core/cache/tiered_cache.hpp"
#include "core/events/activity_log.hpp"
#include "core/events/consumer.hpp"
#include "core/events/outbox.hpp"
#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/module/module.hpp"
#include "core/sql/database.hpp"
#include "services/catalog/client.hpp"
#include "services/catalog/http/internal_routes.hpp"
#include "services/catalog/http/routes.hpp"
#include "services/catalog/storage/catalog_storage.hpp"
#include "services/inventory/client.hpp"

namespace emporium::catalog {

class CatalogModule final : public module::Module {
 public:
  using ReviewerName = std::function<std::optional<std::string>(const std::string& user_id)>;

  /// `inventory`, when given, owns the stock of the SKUs this catalog sells:
  /// a product write hands it the on-hand figure, and start() hands over the
  /// stock of SKUs it has no row for. Without one (a command that only
  /// consumes events) stock stays in the catalog's own rows.
  CatalogModule(sql::Database& db, const events::Outbox& outbox, cache::TieredCache& cache,
                events::ActivityLog& activity, const log::Logger& logger,
                ReviewerName reviewer_name, inventory::Client* inventory = nullptr);

  std::string_view name() const override { return "catalog"; }
  void addRoutes(http::Router& router) override { catalog::addRoutes(router, api_); }
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) override {
    catalog::addInternalRoutes(router, storage_.products, credential);
  }
  /// ratingsConsumer(), purchasesConsumer() and stockConsumer().
  std::vector<events::Consumer> consumers() override;
  /// Hands over to inventory the stock of SKUs it has no row for yet.
  void start() override;

  static constexpr std::string_view kRatingsConsumer = "catalog.ratings";
  static constexpr std::array<std::string_view, 1> kRatingsPatterns = {"review.created"};
  static constexpr std::string_view kPurchasesConsumer = "catalog.purchases";
  static constexpr std::array<std::string_view, 1> kPurchasesPatterns = {"order.confirmed"};
  static constexpr std::string_view kStockConsumer = "catalog.stock";
  static constexpr std::array<std::string_view, 1> kStockPatterns = {"stock.changed"};

  /// "catalog.ratings": recomputes a product's rating and review count when
  /// one of its reviews is created, once per event.
  events::Consumer ratingsConsumer();
  /// "catalog.purchases": records who bought what from order.confirmed, so
  /// reviews can say verified_purchase without reading the orders database.
  events::Consumer purchasesConsumer();
  /// catalog.reviews_require_purchase: refuse reviews from non-buyers (403).
  void requirePurchaseForReviews(bool required) { api_.reviews_require_purchase = required; }

  /// "catalog.stock": mirrors inventory's levels from stock.changed into the
  /// variants (newer versions only, so redelivery and reordering change
  /// nothing) and drops the cached pages of products that went in or out of
  /// stock. The catalog never calls inventory to show a product.
  events::Consumer stockConsumer();

  CatalogStorage& storage() { return storage_; }
  /// What other services in this process ask of the catalog (SKU lookups).
  Client& client() { return storage_.products; }
  cache::TieredCache& cache() { return cache_; }

 private:
  CatalogStorage storage_;
  CatalogApi api_;
  cache::TieredCache& cache_;
  const log::Logger& logger_;
  inventory::Client* inventory_;
};

/// "Alex P." for "Alex Parker": how a reviewer is shown to other shoppers.
std::string reviewerDisplayName(std::string_view full_name);

}  // namespace emporium::catalog
