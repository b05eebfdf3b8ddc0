#include "services/catalog/storage/product_store.hpp"

#include "core/json/writer.hpp"
#include "core/util/ids.hpp"
#include "services/catalog/storage/rows.hpp"

namespace emporium::catalog {
namespace {

constexpr sql::Query kProductIdBySlug{"catalog.product_id_by_slug",
                                      "SELECT id FROM products WHERE slug = $1"};
constexpr sql::Query kInsertProduct{
    "catalog.insert_product",
    "INSERT INTO products (slug, title, description, brand, category_id, price, currency, "
    "attributes, images, in_stock, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, FALSE, $9, $9) RETURNING id"};
constexpr sql::Query kInsertVariant{
    "catalog.insert_variant",
    "INSERT INTO variants (sku, product_id, attributes, price, stock, position) "
    "VALUES ($1, $2, $3, $4, $5, (SELECT COUNT(*) FROM variants WHERE product_id = $2))"};
constexpr sql::Query kVariantProduct{"catalog.variant_product",
                                     "SELECT product_id FROM variants WHERE sku = $1"};
constexpr sql::Query kUpdateVariant{
    "catalog.update_variant",
    "UPDATE variants SET price = COALESCE($2, price), attributes = COALESCE($3, attributes), "
    "stock = COALESCE($4, stock) WHERE sku = $1"};
constexpr sql::Query kUpdateProduct{
    "catalog.update_product",
    "UPDATE products SET slug = COALESCE($2, slug), title = COALESCE($3, title), "
    "description = COALESCE($4, description), brand = COALESCE($5, brand), "
    "category_id = COALESCE($6, category_id), attributes = COALESCE($7, attributes), "
    "images = COALESCE($8, images), updated_at = $9 WHERE id = $1"};
constexpr sql::Query kSetAllVariantPrices{"catalog.set_all_variant_prices",
                                          "UPDATE variants SET price = $2 WHERE product_id = $1"};
constexpr sql::Query kProductSlug{"catalog.product_slug",
                                  "SELECT slug FROM products WHERE id = $1"};
constexpr sql::Query kArchive{"catalog.archive",
                              "UPDATE products SET archived = TRUE, updated_at = $2 WHERE id = $1"};
sql::Param optionalText(const std::optional<std::string>& v) {
  return v ? sql::Param(std::string_view(*v)) : sql::Param(nullptr);
}
sql::Param optionalInt(const std::optional<std::int64_t>& v) {
  return v ? sql::Param(*v) : sql::Param(nullptr);
}

std::string productEventPayload(std::int64_t id, std::string_view slug, std::string_view change) {
  json::Writer payload;
  payload.startObject()
      .member("product_id", id)
      .member("slug", slug)
      .member("change", change)
      .endObject();
  return payload.str();
}

constexpr sql::Query kSkuInfo{
    "catalog.sku_info",
    "SELECT v.sku, v.product_id, p.title, v.price, p.currency, p.archived FROM variants v "
    "JOIN products p ON p.id = v.product_id WHERE v.sku = $1"};

}  // namespace

std::optional<Product> ProductStore::product(std::int64_t id) {
  auto p = productAnyState(id);
  if (p && p->archived) return std::nullopt;
  return p;
}

std::optional<Product> ProductStore::productAnyState(std::int64_t id) {
  return db_.read([&](sql::Session& s) { return rows::loadProduct(s, id); });
}

std::optional<Product> ProductStore::productBySlug(const std::string& slug) {
  auto p = db_.read([&](sql::Session& s) -> std::optional<Product> {
    const auto rows = s.execute(kProductIdBySlug, {slug});
    if (rows.empty()) return std::nullopt;
    return rows::loadProduct(s, rows[0].getInt64(0));
  });
  if (p && p->archived) return std::nullopt;
  return p;
}

WriteOutcome ProductStore::createProduct(const NewProduct& product, Product& created) {
  try {
    const auto id = db_.write([&](sql::Session& s) {
      const std::string now = util::nowRfc3339();
      const auto rows =
          s.execute(kInsertProduct, {product.slug, product.title, product.description,
                                     product.brand, product.category_id, product.currency,
                                     product.attributes_json, product.images_json, now});
      const std::int64_t id = rows[0].getInt64(0);
      for (const auto& v : product.variants) {
        s.execute(kInsertVariant, {v.sku, id, v.attributes_json, v.price, v.stock});
      }
      s.execute(rows::kRefreshDerived, {id, now});
      outbox_.add(s, "product.updated", productEventPayload(id, product.slug, "created"));
      return id;
    });
    outbox_.committed();
    created = *productAnyState(id);
    return WriteOutcome::kDone;
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

WriteOutcome ProductStore::updateProduct(std::int64_t id, const ProductPatch& patch,
                                         Product& updated, std::string& previous_slug) {
  try {
    const auto outcome = db_.write([&](sql::Session& s) {
      const auto slug = s.execute(kProductSlug, {id});
      if (slug.empty()) return WriteOutcome::kNotFound;
      previous_slug = slug[0].getText(0);
      const std::string now = util::nowRfc3339();
      s.execute(
          kUpdateProduct,
          {id, optionalText(patch.slug), optionalText(patch.title), optionalText(patch.description),
           optionalText(patch.brand), optionalInt(patch.category_id),
           optionalText(patch.attributes_json), optionalText(patch.images_json), now});
      if (patch.price) s.execute(kSetAllVariantPrices, {id, *patch.price});
      for (const auto& v : patch.variants) {
        const auto owner = s.execute(kVariantProduct, {v.sku});
        if (owner.empty()) {
          if (!v.price)
            throw UnknownReference{"variants", "new variant " + v.sku + " needs a price"};
          s.execute(kInsertVariant,
                    {v.sku, id, v.attributes_json.value_or("{}"), *v.price, v.stock.value_or(0)});
        } else if (owner[0].getInt64(0) != id) {
          return WriteOutcome::kConflict;  // the SKU belongs to another product
        } else {
          s.execute(kUpdateVariant, {v.sku, optionalInt(v.price), optionalText(v.attributes_json),
                                     optionalInt(v.stock)});
        }
      }
      s.execute(rows::kRefreshDerived, {id, now});
      outbox_.add(s, "product.updated",
                  productEventPayload(id, patch.slug.value_or(previous_slug), "updated"));
      return WriteOutcome::kDone;
    });
    if (outcome == WriteOutcome::kDone) {
      outbox_.committed();
      updated = *productAnyState(id);
    }
    return outcome;
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

WriteOutcome ProductStore::updateVariant(std::int64_t id, const ProductPatch::VariantPatch& patch,
                                         Product& updated) {
  const auto outcome = db_.write([&](sql::Session& s) {
    const auto owner = s.execute(kVariantProduct, {patch.sku});
    if (owner.empty() || owner[0].getInt64(0) != id) return WriteOutcome::kNotFound;
    const auto slug = s.execute(kProductSlug, {id});
    if (slug.empty()) return WriteOutcome::kNotFound;
    s.execute(kUpdateVariant, {patch.sku, optionalInt(patch.price),
                               optionalText(patch.attributes_json), optionalInt(patch.stock)});
    s.execute(rows::kRefreshDerived, {id, util::nowRfc3339()});
    outbox_.add(s, "product.updated", productEventPayload(id, slug[0].getText(0), "updated"));
    return WriteOutcome::kDone;
  });
  if (outcome == WriteOutcome::kDone) {
    outbox_.committed();
    updated = *productAnyState(id);
  }
  return outcome;
}

WriteOutcome ProductStore::archiveProduct(std::int64_t id, std::string& slug) {
  const auto outcome = db_.write([&](sql::Session& s) {
    const auto rows = s.execute(kProductSlug, {id});
    if (rows.empty()) return WriteOutcome::kNotFound;
    slug = rows[0].getText(0);
    s.execute(kArchive, {id, util::nowRfc3339()});
    outbox_.add(s, "product.updated", productEventPayload(id, slug, "archived"));
    return WriteOutcome::kDone;
  });
  if (outcome == WriteOutcome::kDone) outbox_.committed();
  return outcome;
}

std::vector<SkuInfo> ProductStore::lookup(std::span<const std::string> skus) {
  // One prepared point lookup per SKU in one snapshot: carts hold few lines,
  // and a fixed text is prepared once per connection (an IN list is not).
  return db_.read([&](sql::Session& s) {
    std::vector<SkuInfo> found;
    found.reserve(skus.size());
    for (const auto& sku : skus) {
      const auto rows = s.execute(kSkuInfo, {sku});
      if (rows.empty()) continue;
      const auto& row = rows[0];
      found.push_back(SkuInfo{row.getText(0), row.getInt64(1), row.getText(2), row.getInt64(3),
                              row.getText(4), !row.getBool(5)});
    }
    return found;
  });
}

}  // namespace emporium::catalog
