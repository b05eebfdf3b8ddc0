#pragma once
// Products and their variants: reads by id or slug, the admin's writes (each
// adding "product.updated" to the outbox in its transaction), and the SKU
// lookups other services make through catalog::Client.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/sql/database.hpp"
#include "services/catalog/client.hpp"
#include "services/catalog/domain/model.hpp"
#include "services/catalog/storage/outcomes.hpp"

namespace emporium::catalog {

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

class ProductStore final : public Client {
 public:
  ProductStore(sql::Database& db, const events::Outbox& outbox) : db_(db), outbox_(outbox) {}

  std::vector<SkuInfo> lookup(std::span<const std::string> skus) override;

  /// A product that is not archived, by id or by slug.
  std::optional<Product> product(std::int64_t id);
  std::optional<Product> productBySlug(const std::string& slug);
  /// Also archived products (admin reads).
  std::optional<Product> productAnyState(std::int64_t id);

  /// kConflict: slug or a SKU is taken. On kDone, created holds the product.
  WriteOutcome createProduct(const NewProduct& product, Product& created);
  /// kNotFound: no such product; kConflict: new slug or SKU taken. previous_slug is set
  /// to the slug before the update (callers drop caches keyed by it). Throws
  /// UnknownReference for a new variant without a price.
  WriteOutcome updateProduct(std::int64_t id, const ProductPatch& patch, Product& updated,
                             std::string& previous_slug);
  /// Changes one existing variant of product `id` (a new SKU is not added).
  /// kNotFound: no such product, or the SKU is not one of its variants.
  WriteOutcome updateVariant(std::int64_t id, const ProductPatch::VariantPatch& patch,
                             Product& updated);
  /// Marks a product archived; kNotFound when there is none.
  WriteOutcome archiveProduct(std::int64_t id, std::string& slug);

 private:
  sql::Database& db_;
  const events::Outbox& outbox_;
};

}  // namespace emporium::catalog
