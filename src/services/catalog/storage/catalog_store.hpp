#pragma once
// The catalog's tables: every SQL statement of the service lives behind this
// class. Listing queries are composed from the filters a request uses (one
// named statement per combination, so each is prepared once per connection).

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/sql/database.hpp"
#include "services/catalog/client.hpp"
#include "services/catalog/domain/listing.hpp"
#include "services/catalog/domain/model.hpp"

namespace emporium::catalog {

/// A listing asked for something that does not exist (an unknown category
/// slug). The HTTP layer turns it into a 422 naming the field.
class UnknownReference : public std::runtime_error {
 public:
  UnknownReference(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

struct NewVariant {
  std::string sku;
  std::int64_t price = 0;
  std::string attributes_json = "{}";
  std::int64_t stock = 0;
};

struct NewProduct {
  std::string slug;
  std::string title;
  std::string description;
  std::string brand;
  std::int64_t category_id = 0;
  std::string currency = "USD";
  std::string attributes_json = "{}";
  std::string images_json = "[]";
  std::vector<NewVariant> variants;
};

/// A partial update: fields left empty keep their value. Variants are
/// matched by SKU: a known SKU is updated, a new one is added.
struct ProductPatch {
  std::optional<std::string> slug;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> brand;
  std::optional<std::int64_t> category_id;
  std::optional<std::string> attributes_json;
  std::optional<std::string> images_json;
  /// Every variant's price (applied before the variants' own entries below).
  std::optional<std::int64_t> price;
  struct VariantPatch {
    std::string sku;
    std::optional<std::int64_t> price;
    std::optional<std::string> attributes_json;
    std::optional<std::int64_t> stock;
  };
  std::vector<VariantPatch> variants;
};

enum class WriteOutcome { kDone, kNotFound, kConflict, kForbidden };

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

class CatalogStore final : public Client {
 public:
  /// Product writes add "product.updated" and reviews "review.created" to
  /// `outbox` in their transactions.
  CatalogStore(sql::Database& db, const events::Outbox& outbox) : db_(db), outbox_(outbox) {}

  std::vector<SkuInfo> lookup(std::span<const std::string> skus) override;

  std::vector<Category> categories();
  /// Inserts a category under parent (none: a root). kConflict: slug taken.
  WriteOutcome createCategory(const std::string& slug, const std::string& name,
                              std::optional<std::int64_t> parent_id, Category& created);

  /// One page of a listing with its facets. Throws UnknownReference for a
  /// category slug that does not exist.
  ListingPage list(const ListingQuery& query);

  /// A product that is not archived, by id or by slug.
  std::optional<Product> product(std::int64_t id);
  std::optional<Product> productBySlug(const std::string& slug);
  /// Also archived products (admin reads).
  std::optional<Product> productAnyState(std::int64_t id);

  /// kConflict: slug or a SKU is taken. On kDone, created holds the product.
  WriteOutcome createProduct(const NewProduct& product, Product& created);
  /// kNotFound: no such product; kConflict: new slug or SKU taken. previous_slug is set
  /// to the slug before the update (callers drop caches keyed by it).
  WriteOutcome updateProduct(std::int64_t id, const ProductPatch& patch, Product& updated,
                             std::string& previous_slug);
  /// Changes one existing variant of product `id` (a new SKU is not added).
  /// kNotFound: no such product, or the SKU is not one of its variants.
  WriteOutcome updateVariant(std::int64_t id, const ProductPatch::VariantPatch& patch,
                             Product& updated);
  /// Marks a product archived; kNotFound when there is none.
  WriteOutcome archiveProduct(std::int64_t id, std::string& slug);

  /// Mirrors inventory's available units into the variant (the catalog's read
  /// model for "in stock" filters and badges): written only when the variant
  /// goes in or out of stock. nullopt: unknown SKU.
  std::optional<StockMirror> mirrorStock(const std::string& sku, std::int64_t available);
  std::int64_t variantCount();
  /// Every variant's stock in sku order, keyset-paged: the SKUs after
  /// `after_sku` ("" for the first page), at most `limit`. Carries stock over
  /// to the inventory service (InventoryService::importMissing).
  std::vector<StockLevel> stockAfter(const std::string& after_sku, std::size_t limit);

  /// Newest first, keyset by review id.
  std::vector<Review> reviews(std::int64_t product_id, std::optional<std::int64_t> before_id,
                              std::size_t limit);
  /// kConflict: this user already reviewed the product; kNotFound: no such
  /// product; kForbidden: require_purchase and the user has not bought it.
  /// created.verified_purchase says whether they had.
  WriteOutcome addReview(const Review& review, Review& created, bool require_purchase = false);
  /// Records that user_id bought these products in order_id, once per
  /// order.confirmed event: false when `consumer` already processed
  /// `event_id` (a redelivery), which then changes nothing.
  bool recordPurchasesOnce(const std::string& user_id, const std::string& order_id,
                           std::span<const std::int64_t> product_ids, std::string_view consumer,
                           std::string_view event_id);
  /// Recomputes a product's rating and review_count from its reviews, once
  /// per review.created event: false when `consumer` already processed
  /// `event_id` (a redelivery), which then changes nothing.
  bool refreshRatingOnce(std::int64_t product_id, std::string_view consumer,
                         std::string_view event_id);

 private:
  sql::Database& db_;
  const events::Outbox& outbox_;
};

}  // namespace emporium::catalog
