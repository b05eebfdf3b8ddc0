// The admin's catalog writes: products, variants and categories. Each write
// drops the cached copies shoppers would otherwise see.

#include <cctype>
#include <span>
#include <string>
#include <vector>

#include "core/http/api_error.hpp"
#include "core/json/body.hpp"
#include "core/util/ids.hpp"
#include "services/catalog/http/body_fields.hpp"
#include "services/catalog/http/product_ref.hpp"
#include "services/catalog/http/render.hpp"
#include "services/catalog/http/route_groups.hpp"

namespace emporium::catalog {
namespace {

using fields::imagesField;
using fields::isSku;
using fields::isSlug;
using fields::member;
using fields::objectField;
using fields::priceField;
using fields::refuseUnknownFields;
using fields::resolveCategory;
using fields::slugify;
using fields::stockField;
using fields::textField;
using fields::Validation;
using fields::variantsField;

http::Response createProduct(CatalogApi& api, const http::Request& req) {
  const auto body = json::Body::parse(req);
  const auto& root = body.root();
  Validation v;
  refuseUnknownFields(root,
                      {"title", "slug", "description", "brand", "category", "currency",
                       "attributes", "images", "variants", "price"},
                      "", v);
  NewProduct product;
  const auto title = textField(root, "title", "title", 300, true, v);
  const auto slug = textField(root, "slug", "slug", 120, false, v);
  if (slug && !isSlug(*slug)) v.fail("slug", "must be lowercase letters, digits and '-'");
  product.description = textField(root, "description", "description", 20000, false, v).value_or("");
  product.brand = textField(root, "brand", "brand", 100, true, v).value_or("");
  const auto categories = api.storage.categories.categories();
  if (const auto* category = member(root, "category")) {
    if (const auto id = resolveCategory(*category, categories)) {
      product.category_id = *id;
    } else {
      v.fail("category", "names no category (give a category slug or id)");
    }
  } else {
    v.fail("category", "is required");
  }
  if (const auto currency = textField(root, "currency", "currency", 3, false, v)) {
    if (currency->size() != 3 || !std::all_of(currency->begin(), currency->end(),
                                              [](char c) { return c >= 'A' && c <= 'Z'; })) {
      v.fail("currency", "must be a three-letter ISO 4217 code such as USD");
    }
    product.currency = *currency;
  }
  product.attributes_json = objectField(root, "attributes", "attributes", v).value_or("{}");
  product.images_json = imagesField(root, v).value_or("[]");
  // A product-level price is every variant's price unless a variant names its own.
  const auto product_price = priceField(root, "price", false, v);
  const bool variant_prices_required = member(root, "price") == nullptr;
  for (auto& variant : variantsField(root, /*creating=*/true, variant_prices_required, v)) {
    product.variants.push_back(
        NewVariant{variant.sku, variant.price.value_or(product_price.value_or(0)),
                   variant.attributes_json.value_or("{}"), variant.stock.value_or(0)});
  }
  v.throwIfAny();
  product.title = *title;
  // A slug derived from the title gets a random tail when the plain one is taken.
  product.slug = slug ? *slug : slugify(*title);
  Product created;
  auto outcome = api.storage.products.createProduct(product, created);
  if (outcome == WriteOutcome::kConflict && !slug) {
    product.slug += "-";
    const std::string random = util::newId("x");  // ULID: its tail is random
    for (const char c : random.substr(random.size() - 6)) {
      product.slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    outcome = api.storage.products.createProduct(product, created);
  }
  if (outcome == WriteOutcome::kConflict) {
    throw http::ApiError::conflict("the slug or one of the SKUs is already in use");
  }
  if (api.stock_written) {
    for (const auto& variant : product.variants) api.stock_written(variant.sku, variant.stock);
  }
  invalidateProduct(api.cache, created.summary.id, {created.summary.slug});
  return http::Response::json(201, renderProduct(created, /*admin_view=*/true))
      .withHeader("Location", "/api/v1/products/" + std::to_string(created.summary.id));
}

http::Response updateProduct(CatalogApi& api, const http::Request& req) {
  const std::int64_t id = adminProductId(req);
  const auto body = json::Body::parse(req);
  const auto& root = body.root();
  Validation v;
  refuseUnknownFields(root,
                      {"title", "slug", "description", "brand", "category", "attributes", "images",
                       "variants", "price"},
                      "", v);
  ProductPatch patch;
  patch.title = textField(root, "title", "title", 300, false, v);
  patch.slug = textField(root, "slug", "slug", 120, false, v);
  if (patch.slug && !isSlug(*patch.slug))
    v.fail("slug", "must be lowercase letters, digits and '-'");
  patch.description = textField(root, "description", "description", 20000, false, v);
  patch.brand = textField(root, "brand", "brand", 100, false, v);
  // Optional in a patch, but never blank when given (as on create).
  for (const auto& [field, value] :
       {std::pair{"title", &patch.title}, std::pair{"brand", &patch.brand}}) {
    if (*value && value->value().find_first_not_of(" \t\r\n") == std::string::npos) {
      v.fail(field, "must not be empty");
    }
  }
  if (const auto* category = member(root, "category")) {
    patch.category_id = resolveCategory(*category, api.storage.categories.categories());
    if (!patch.category_id) v.fail("category", "names no category (give a category slug or id)");
  }
  patch.attributes_json = objectField(root, "attributes", "attributes", v);
  patch.images_json = imagesField(root, v);
  patch.price = priceField(root, "price", false, v);
  patch.variants = variantsField(root, /*creating=*/false, /*price_required=*/false, v);
  v.throwIfAny();
  Product updated;
  std::string previous_slug;
  WriteOutcome outcome = WriteOutcome::kDone;
  try {
    outcome = api.storage.products.updateProduct(id, patch, updated, previous_slug);
  } catch (const UnknownReference& e) {
    throw http::ApiError::validation(e.field(), e.what());
  }
  if (outcome == WriteOutcome::kNotFound) throw productNotFound(req);
  if (outcome == WriteOutcome::kConflict) {
    throw http::ApiError::conflict("the slug or one of the SKUs belongs to another product");
  }
  if (api.stock_written) {
    for (const auto& variant : patch.variants) {
      if (variant.stock) api.stock_written(variant.sku, *variant.stock);
    }
  }
  invalidateProduct(api.cache, id, {previous_slug, updated.summary.slug});
  return http::Response::json(200, renderProduct(updated, /*admin_view=*/true));
}

// PATCH /admin/products/{id}/variants/{sku}: one variant's price, attributes
// or stock. A SKU of another product (or none) is 404: the path names it.
http::Response updateVariant(CatalogApi& api, const http::Request& req) {
  const std::int64_t id = adminProductId(req);
  const std::string sku(req.pathParam("sku"));
  const auto body = json::Body::parse(req);
  const auto& root = body.root();
  Validation v;
  refuseUnknownFields(root, {"price", "attributes", "stock"}, "", v);
  ProductPatch::VariantPatch patch;
  patch.sku = sku;
  patch.price = priceField(root, "price", false, v);
  patch.attributes_json = objectField(root, "attributes", "attributes", v);
  patch.stock = stockField(root, "stock", v);
  v.throwIfAny();
  Product updated;
  if (!isSku(sku) ||
      api.storage.products.updateVariant(id, patch, updated) == WriteOutcome::kNotFound) {
    throw http::ApiError::notFound("no variant " + sku + " of product " + std::to_string(id));
  }
  if (api.stock_written && patch.stock) api.stock_written(sku, *patch.stock);
  invalidateProduct(api.cache, id, {updated.summary.slug});
  return http::Response::json(200, renderProduct(updated, /*admin_view=*/true));
}

http::Response createCategory(CatalogApi& api, const http::Request& req) {
  const auto body = json::Body::parse(req);
  const auto& root = body.root();
  Validation v;
  const auto name = textField(root, "name", "name", 100, true, v);
  auto slug = textField(root, "slug", "slug", 120, false, v);
  if (slug && !isSlug(*slug)) v.fail("slug", "must be lowercase letters, digits and '-'");
  std::optional<std::int64_t> parent_id;
  const auto* parent = member(root, "parent");
  if (parent == nullptr) parent = member(root, "parent_id");
  if (parent != nullptr) {
    parent_id = resolveCategory(*parent, api.storage.categories.categories());
    if (!parent_id) v.fail("parent", "names no category (give a category slug or id)");
  }
  v.throwIfAny();
  Category created;
  const auto outcome = api.storage.categories.createCategory(slug ? *slug : slugify(*name), *name,
                                                             parent_id, created);
  if (outcome == WriteOutcome::kConflict) {
    throw http::ApiError::conflict("a category with this slug exists");
  }
  if (outcome == WriteOutcome::kNotFound) {
    throw http::ApiError::validation("parent", "names no category");
  }
  const std::string key(kCategoriesKey);
  api.cache.invalidate(std::span<const std::string>(&key, 1));
  api.cache.bumpGeneration();
  return http::Response::json(201, renderCategory(created));
}

}  // namespace

void addAdminRoutes(http::Router& router, CatalogApi& api) {
  using http::Method;
  using http::Request;
  using http::Response;
  const http::RouteOptions admin{.access = http::Access::kAdmin};

  router.add(
      Method::kPost, "/api/v1/admin/categories",
      [&api](Request& req) { return createCategory(api, req); }, admin);
  router.add(
      Method::kPost, "/api/v1/admin/products",
      [&api](Request& req) { return createProduct(api, req); }, admin);
  router.add(
      Method::kGet, "/api/v1/admin/products/{id}",
      [&api](Request& req) {
        const auto product = api.storage.products.productAnyState(adminProductId(req));
        if (!product) throw productNotFound(req);
        return Response::json(200, renderProduct(*product, /*admin_view=*/true))
            .withHeader("Cache-Control", "no-store");
      },
      admin);
  router.add(
      Method::kPatch, "/api/v1/admin/products/{id}",
      [&api](Request& req) { return updateProduct(api, req); }, admin);
  router.add(
      Method::kPatch, "/api/v1/admin/products/{id}/variants/{sku}",
      [&api](Request& req) { return updateVariant(api, req); }, admin);
  router.add(
      Method::kDelete, "/api/v1/admin/products/{id}",
      [&api](Request& req) {
        const std::int64_t id = adminProductId(req);
        std::string slug;
        if (api.storage.products.archiveProduct(id, slug) == WriteOutcome::kNotFound) {
          throw productNotFound(req);
        }
        invalidateProduct(api.cache, id, {slug});
        return Response::noContent();
      },
      admin);
}

}  // namespace emporium::catalog
