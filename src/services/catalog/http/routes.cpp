#include "services/catalog/http/routes.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "core/http/api_error.hpp"
#include "core/http/field_errors.hpp"
#include "core/http/pagination.hpp"
#include "core/json/body.hpp"
#include "core/json/utf8.hpp"
#include "core/json/writer.hpp"
#include "core/util/ids.hpp"
#include "services/catalog/http/render.hpp"

namespace emporium::catalog {
namespace {

// Browsers and CDNs may reuse a catalog answer briefly, then revalidate with
// If-None-Match (a 304 costs no body). Short, because prices change and the
// shop's own caches are invalidated at once on every write.
constexpr std::string_view kBrowseCacheControl = "public, max-age=5";
constexpr std::string_view kCategoriesCacheControl = "public, max-age=60";
constexpr std::string_view kCategoriesKey = "categories";

constexpr std::size_t kMaxQueryBytes = 200;
constexpr std::size_t kMaxBrands = 20;
constexpr std::int64_t kMaxPrice = 1'000'000'000'000;  // 10 billion in major units

// --- responses ------------------------------------------------------------

bool etagMatches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  if (if_none_match == "*") return true;
  // A list of entity tags; weak ones compare by their opaque part (RFC 9110 13.1.2).
  std::size_t at = 0;
  while (at < if_none_match.size()) {
    auto end = if_none_match.find(',', at);
    if (end == std::string_view::npos) end = if_none_match.size();
    std::string_view tag = if_none_match.substr(at, end - at);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    at = end + 1;
  }
  return false;
}

http::Response entryResponse(const cache::Entry& entry, const http::Request& req,
                             std::string_view cache_control) {
  http::Response response;
  if (etagMatches(req.header("If-None-Match"), entry.etag)) {
    response.status = 304;
  } else {
    response.status = 200;
    response.body = entry.body;
  }
  response.headers.emplace_back("ETag", entry.etag);
  response.headers.emplace_back("Cache-Control", std::string(cache_control));
  return response;
}

// --- query parameters -----------------------------------------------------

std::optional<std::int64_t> moneyParam(const http::Request& req, std::string_view name) {
  const auto raw = req.queryParam(name);
  if (!raw || raw->empty()) return std::nullopt;
  std::int64_t value = -1;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), value);
  if (ec != std::errc{} || end != raw->data() + raw->size() || value < 0 || value > kMaxPrice) {
    throw http::ApiError::validation(std::string(name),
                                     "must be a whole number of minor units (cents), 0 or more");
  }
  return value;
}

ListingQuery parseListing(const http::Request& req) {
  ListingQuery q;
  http::FieldErrors errors;
  if (const auto text = req.queryParam("q")) {
    if (text->size() > kMaxQueryBytes) {
      errors.fail("q", "must be at most " + std::to_string(kMaxQueryBytes) + " bytes");
    } else if (!json::isValidUtf8(*text)) {
      errors.fail("q", "must be UTF-8 text");
    } else {
      q.terms = searchTerms(*text);
    }
  }
  if (auto category = req.queryParam("category"); category && !category->empty()) {
    if (category->size() > 100 || !json::isValidUtf8(*category)) {
      errors.fail("category", "is not a category slug");
    } else {
      q.category = std::move(*category);
    }
  }
  for (auto& brand : req.queryParams("brand")) {
    if (brand.empty()) continue;
    if (brand.size() > 100 || !json::isValidUtf8(brand)) {
      errors.fail("brand", "must be a brand name of at most 100 bytes");
      break;
    }
    q.brands.push_back(std::move(brand));
  }
  std::sort(q.brands.begin(), q.brands.end());
  q.brands.erase(std::unique(q.brands.begin(), q.brands.end()), q.brands.end());
  if (q.brands.size() > kMaxBrands) {
    errors.fail("brand", "at most " + std::to_string(kMaxBrands) + " brands at once");
  }
  try {
    q.price_min = moneyParam(req, "price_min");
  } catch (const http::ApiError&) {
    errors.fail("price_min", "must be a whole number of minor units (cents), 0 or more");
  }
  try {
    q.price_max = moneyParam(req, "price_max");
  } catch (const http::ApiError&) {
    errors.fail("price_max", "must be a whole number of minor units (cents), 0 or more");
  }
  if (q.price_min && q.price_max && *q.price_min > *q.price_max) {
    errors.fail("price_min", "must not be greater than price_max");
  }
  if (const auto in_stock = req.queryParam("in_stock"); in_stock && !in_stock->empty()) {
    if (*in_stock == "true" || *in_stock == "1") {
      q.in_stock_only = true;
    } else if (*in_stock != "false" && *in_stock != "0") {
      errors.fail("in_stock", "must be true or false");
    }
  }
  q.sort = q.terms.empty() ? Sort::kNewest : Sort::kRelevance;
  if (const auto sort = req.queryParam("sort"); sort && !sort->empty()) {
    if (const auto parsed = parseSort(*sort)) {
      // Relevance without search words has nothing to rank by: newest, as
      // when sort is absent (a storefront may keep the choice after the
      // search box is cleared).
      q.sort = (*parsed == Sort::kRelevance && q.terms.empty()) ? Sort::kNewest : *parsed;
    } else {
      errors.fail("sort", "must be one of relevance, newest, price_asc, price_desc, rating");
    }
  }
  try {
    q.limit = http::pageLimit(req);
  } catch (const http::ApiError&) {
    errors.fail("limit", "must be an integer from 1 to 100");
  }
  try {
    if (const auto position = http::pageCursor(req)) {
      q.after = decodePosition(q.sort, *position);
      if (!q.after) {
        errors.fail("cursor", "does not belong to this listing's sort order");
      }
    }
  } catch (const http::ApiError&) {
    errors.fail("cursor", "is not a cursor this API returned");
  }
  errors.throwIfAny();
  return q;
}

std::string listingKey(std::uint64_t generation, const ListingQuery& q) {
  return "l:" + std::to_string(generation) + ":" + q.cacheKey();
}

/// The product a path names: digits are an id, anything else a slug.
struct ProductRef {
  std::optional<std::int64_t> id;
  std::string slug;
};

ProductRef productRef(const http::Request& req) {
  const std::string_view raw = req.pathParam("id");
  ProductRef ref;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (ec == std::errc{} && end == raw.data() + raw.size() && id > 0) {
    ref.id = id;
  } else {
    ref.slug = std::string(raw);
  }
  return ref;
}

std::string productKey(const ProductRef& ref) {
  return ref.id ? "p:id:" + std::to_string(*ref.id) : "p:slug:" + ref.slug;
}

http::ApiError productNotFound(const http::Request& req) {
  return http::ApiError::notFound("no product " + std::string(req.pathParam("id")));
}

std::optional<Product> findProduct(ProductStore& products, const ProductRef& ref) {
  if (ref.id) return products.product(*ref.id);
  if (ref.slug.empty() || ref.slug.size() > 200 || !json::isValidUtf8(ref.slug))
    return std::nullopt;
  return products.productBySlug(ref.slug);
}

// --- admin bodies ---------------------------------------------------------

bool isSlug(std::string_view s) {
  if (s.empty() || s.size() > 120 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool isSku(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

/// A slug from free text: ASCII letters and digits, runs of anything else as one '-'.
std::string slugify(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= 80) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "item" : out;
}

std::string serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

using Validation = http::FieldErrors;

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view name) {
  const auto it = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

/// Admin writes refuse a member they would not apply (the contract: a
/// silently ignored edit is a lost edit). path_prefix names nested objects.
void refuseUnknownFields(const rapidjson::Value& object,
                         std::initializer_list<std::string_view> known,
                         const std::string& path_prefix, Validation& v) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    v.fail(path_prefix + std::string(name), "is not a field this request can change");
  }
}

std::optional<std::string> textField(const rapidjson::Value& object, std::string_view name,
                                     const std::string& path, std::size_t max_bytes, bool required,
                                     Validation& v) {
  const auto* value = member(object, name);
  if (value == nullptr) {
    if (required) v.fail(path, "is required");
    return std::nullopt;
  }
  if (!value->IsString()) {
    v.fail(path, "must be a string");
    return std::nullopt;
  }
  std::string text(value->GetString(), value->GetStringLength());
  if (required && text.find_first_not_of(" \t\r\n") == std::string::npos) {
    v.fail(path, "must not be empty");
    return std::nullopt;
  }
  if (text.size() > max_bytes) {
    v.fail(path, "must be at most " + std::to_string(max_bytes) + " bytes");
    return std::nullopt;
  }
  if (!json::isValidUtf8(text) || text.find('\0') != std::string::npos) {
    v.fail(path, "must be UTF-8 text without NUL");
    return std::nullopt;
  }
  return text;
}

/// A price: minor units as an integer, or a Money object {amount, currency}.
std::optional<std::int64_t> priceField(const rapidjson::Value& object, const std::string& path,
                                       bool required, Validation& v) {
  const auto* value = member(object, "price");
  if (value == nullptr) {
    if (required) v.fail(path, "is required");
    return std::nullopt;
  }
  const rapidjson::Value* amount = value;
  if (value->IsObject()) amount = member(*value, "amount");
  if (amount == nullptr || !amount->IsInt64() || amount->GetInt64() < 0 ||
      amount->GetInt64() > kMaxPrice) {
    v.fail(path, "must be a whole number of minor units (cents), 0 or more");
    return std::nullopt;
  }
  return amount->GetInt64();
}

std::optional<std::string> objectField(const rapidjson::Value& object, std::string_view name,
                                       const std::string& path, Validation& v) {
  const auto* value = member(object, name);
  if (value == nullptr) return std::nullopt;
  if (!value->IsObject()) {
    v.fail(path, "must be an object");
    return std::nullopt;
  }
  return serialize(*value);
}

std::optional<std::string> imagesField(const rapidjson::Value& object, Validation& v) {
  const auto* value = member(object, "images");
  if (value == nullptr) return std::nullopt;
  if (!value->IsArray() || value->Size() > 20) {
    v.fail("images", "must be an array of at most 20 image URLs");
    return std::nullopt;
  }
  for (rapidjson::SizeType i = 0; i < value->Size(); ++i) {
    const auto& url = (*value)[i];
    if (!url.IsString() || url.GetStringLength() == 0 || url.GetStringLength() > 500) {
      v.fail("images[" + std::to_string(i) + "]", "must be a URL of at most 500 bytes");
      return std::nullopt;
    }
  }
  return serialize(*value);
}

std::optional<std::int64_t> stockField(const rapidjson::Value& object, const std::string& path,
                                       Validation& v) {
  const auto* value = member(object, "stock");
  if (value == nullptr) return std::nullopt;
  if (!value->IsInt64() || value->GetInt64() < 0 || value->GetInt64() > 1'000'000'000) {
    v.fail(path, "must be a whole number from 0 to 1000000000");
    return std::nullopt;
  }
  return value->GetInt64();
}

/// A category named by slug, or by id (string or number).
std::optional<std::int64_t> resolveCategory(const rapidjson::Value& value,
                                            const std::vector<Category>& categories) {
  std::string wanted;
  if (value.IsString()) {
    wanted.assign(value.GetString(), value.GetStringLength());
  } else if (value.IsInt64()) {
    wanted = std::to_string(value.GetInt64());
  } else {
    return std::nullopt;
  }
  for (const auto& c : categories) {
    if (c.slug == wanted || std::to_string(c.id) == wanted) return c.id;
  }
  return std::nullopt;
}

std::vector<ProductPatch::VariantPatch> variantsField(const rapidjson::Value& object, bool creating,
                                                      bool price_required, Validation& v) {
  std::vector<ProductPatch::VariantPatch> out;
  const auto* value = member(object, "variants");
  if (value == nullptr) {
    if (creating) v.fail("variants", "is required: at least one variant with sku and price");
    return out;
  }
  if (!value->IsArray() || (creating && value->Empty()) || value->Size() > 100) {
    v.fail("variants", "must be an array of 1 to 100 variants");
    return out;
  }
  std::vector<std::string> seen;
  for (rapidjson::SizeType i = 0; i < value->Size(); ++i) {
    const std::string path = "variants[" + std::to_string(i) + "]";
    const auto& item = (*value)[i];
    if (!item.IsObject()) {
      v.fail(path, "must be an object");
      continue;
    }
    refuseUnknownFields(item, {"sku", "price", "attributes", "stock"}, path + ".", v);
    ProductPatch::VariantPatch variant;
    const auto sku = textField(item, "sku", path + ".sku", 64, true, v);
    if (sku && !isSku(*sku)) {
      v.fail(path + ".sku", "must be 1 to 64 letters, digits, '-', '_' or '.'");
    } else if (sku) {
      if (std::find(seen.begin(), seen.end(), *sku) != seen.end()) {
        v.fail(path + ".sku", "appears twice in this request");
      }
      seen.push_back(*sku);
      variant.sku = *sku;
    }
    variant.price = priceField(item, path + ".price", price_required, v);
    variant.attributes_json = objectField(item, "attributes", path + ".attributes", v);
    variant.stock = stockField(item, path + ".stock", v);
    out.push_back(std::move(variant));
  }
  return out;
}

// --- handlers -------------------------------------------------------------

std::int64_t adminProductId(const http::Request& req) {
  const auto ref = productRef(req);
  if (!ref.id) throw productNotFound(req);
  return *ref.id;
}

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

http::Response createReview(CatalogApi& api, const http::Request& req) {
  const auto ref = productRef(req);
  const auto product = findProduct(api.storage.products, ref);
  if (!product) throw productNotFound(req);
  const auto body = json::Body::parse(req);
  const auto& root = body.root();
  Validation v;
  Review review;
  const auto* rating = member(root, "rating");
  if (rating == nullptr) {
    v.fail("rating", "is required");
  } else if (!rating->IsInt() || rating->GetInt() < 1 || rating->GetInt() > 5) {
    v.fail("rating", "must be a whole number from 1 to 5");
  } else {
    review.rating = rating->GetInt();
  }
  const auto title = textField(root, "title", "title", 200, true, v);
  const auto text = textField(root, "body", "body", 5000, true, v);
  v.throwIfAny();
  review.product_id = product->summary.id;
  review.user_id = req.user().user_id;
  review.user_name =
      api.reviewer_name ? api.reviewer_name(review.user_id).value_or("Customer") : "Customer";
  review.title = *title;
  review.body = *text;
  Review created;
  const auto outcome = api.storage.reviews.addReview(review, created, api.reviews_require_purchase);
  if (outcome == WriteOutcome::kNotFound) throw productNotFound(req);
  if (outcome == WriteOutcome::kForbidden) {
    throw http::ApiError::forbidden(
        "this shop takes reviews only from customers who bought the product (an order of yours "
        "containing it was confirmed)");
  }
  if (outcome == WriteOutcome::kConflict) {
    throw http::ApiError::conflict("you have already reviewed this product");
  }
  // The product's rating follows when the catalog.ratings consumer handles
  // the review.created event this wrote (eventual, as the seed allows).
  return http::Response::json(201, renderReview(created));
}

http::Response listReviews(CatalogApi& api, const http::Request& req) {
  const std::size_t limit = http::pageLimit(req);
  std::optional<std::int64_t> before;
  if (const auto position = http::pageCursor(req)) {
    std::int64_t id = 0;
    const auto [end, ec] =
        std::from_chars(position->data(), position->data() + position->size(), id);
    if (ec != std::errc{} || end != position->data() + position->size()) {
      throw http::ApiError::validation("cursor", "is not a cursor this API returned");
    }
    before = id;
  }
  const auto product = findProduct(api.storage.products, productRef(req));
  if (!product) throw productNotFound(req);
  auto reviews = api.storage.reviews.reviews(product->summary.id, before, limit + 1);
  const bool more = reviews.size() > limit;
  if (more) reviews.resize(limit);
  return http::Response::json(200, renderReviews(reviews, more));
}

}  // namespace

void invalidateProduct(cache::TieredCache& cache, std::int64_t id,
                       std::initializer_list<std::string_view> slugs) {
  std::vector<std::string> keys;
  keys.push_back(productKey(ProductRef{id, {}}));
  for (const auto slug : slugs) {
    if (!slug.empty()) keys.push_back(productKey(ProductRef{std::nullopt, std::string(slug)}));
  }
  cache.invalidate(keys);
  cache.bumpGeneration();
}

// Activity for analytics (docs/events.md). Recorded on the cached fast
// paths too: a view is a view whether or not the page was cached.
void recordView(CatalogApi& api, const http::Request& req) {
  json::Writer w;
  w.startObject().member("product", req.pathParam("id"));
  if (req.principal) w.member("user_id", req.principal->user_id);
  w.endObject();
  api.activity.record("activity.product_viewed", w.str());
}

void recordSearch(CatalogApi& api, const http::Request& req, const ListingQuery& query) {
  if (query.terms.empty()) return;
  std::string q;
  for (const auto& term : query.terms) {
    if (!q.empty()) q += ' ';
    q += term;
  }
  json::Writer w;
  w.startObject().member("q", q);
  if (query.category) w.member("category", *query.category);
  if (req.principal) w.member("user_id", req.principal->user_id);
  w.endObject();
  api.activity.record("activity.searched", w.str());
}

void addRoutes(http::Router& router, CatalogApi& api) {
  using http::Method;
  using http::Request;
  using http::Response;
  const http::RouteOptions admin{.access = http::Access::kAdmin};

  // --- browsing: cached, with a fast path that answers hits on the loop ---
  router.add(Method::kGet, "/api/v1/categories",
             [&api](Request& req) {
               const auto entry = api.cache.getOrLoad(
                   kCategoriesKey, cache::Kind::kCategories,
                   [&api] { return renderCategoryTree(api.storage.categories.categories()); });
               return entryResponse(*entry, req, kCategoriesCacheControl);
             },
             {.fast_path = [&api](Request& req) -> std::optional<Response> {
               const auto entry = api.cache.peekLocal(kCategoriesKey);
               if (!entry) return std::nullopt;
               return entryResponse(*entry, req, kCategoriesCacheControl);
             }});

  router.add(Method::kGet, "/api/v1/products",
             [&api](Request& req) {
               const ListingQuery query = parseListing(req);
               recordSearch(api, req, query);
               const auto entry = api.cache.getOrLoad(
                   listingKey(api.cache.generation(), query), cache::Kind::kListing, [&] {
                     try {
                       return renderListing(api.storage.listings.list(query), query.sort);
                     } catch (const UnknownReference& e) {
                       throw http::ApiError::validation(e.field(), e.what());
                     }
                   });
               return entryResponse(*entry, req, kBrowseCacheControl);
             },
             {.fast_path = [&api](Request& req) -> std::optional<Response> {
               const ListingQuery query = parseListing(req);
               const auto entry = api.cache.peekLocal(listingKey(api.cache.generation(), query));
               if (!entry) return std::nullopt;
               recordSearch(api, req, query);
               return entryResponse(*entry, req, kBrowseCacheControl);
             }});

  router.add(Method::kGet, "/api/v1/products/{id}",
             [&api](Request& req) {
               const auto ref = productRef(req);
               const auto entry = api.cache.getOrLoad(productKey(ref), cache::Kind::kProduct, [&] {
                 const auto product = findProduct(api.storage.products, ref);
                 if (!product) throw productNotFound(req);
                 return renderProduct(*product, /*admin_view=*/false);
               });
               recordView(api, req);
               return entryResponse(*entry, req, kBrowseCacheControl);
             },
             {.fast_path = [&api](Request& req) -> std::optional<Response> {
               const auto entry = api.cache.peekLocal(productKey(productRef(req)));
               if (!entry) return std::nullopt;
               recordView(api, req);
               return entryResponse(*entry, req, kBrowseCacheControl);
             }});

  router.add(Method::kGet, "/api/v1/products/{id}/reviews",
             [&api](Request& req) { return listReviews(api, req); });
  router.add(Method::kPost, "/api/v1/products/{id}/reviews",
             [&api](Request& req) { return createReview(api, req); },
             {.access = http::Access::kUser});

  router.add(Method::kGet, "/api/v1/products/{id}/recommendations", [&api](Request& req) {
    const auto ref = productRef(req);
    const std::string key = "rec:" + std::to_string(api.cache.generation()) + ":" + productKey(ref);
    const auto entry = api.cache.getOrLoad(key, cache::Kind::kListing, [&] {
      const auto product = findProduct(api.storage.products, ref);
      if (!product) throw productNotFound(req);
      // The best-rated products of the same category: a start, until
      // co-purchase data feeds something better.
      ListingQuery similar;
      similar.category = product->summary.category_slug;
      similar.sort = Sort::kRating;
      similar.in_stock_only = true;
      similar.limit = 9;
      similar.with_facets = false;
      auto page = api.storage.listings.list(similar);
      std::erase_if(page.items,
                    [&](const ProductSummary& p) { return p.id == product->summary.id; });
      if (page.items.size() > 8) page.items.resize(8);
      return renderSummaries(page.items);
    });
    return entryResponse(*entry, req, kBrowseCacheControl);
  });

  // --- admin ----------------------------------------------------------------
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
