// GET routes shoppers browse by: categories, listings with search and
// facets, product detail and recommendations.

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "core/http/api_error.hpp"
#include "core/http/field_errors.hpp"
#include "core/http/pagination.hpp"
#include "core/json/utf8.hpp"
#include "core/json/writer.hpp"
#include "services/catalog/http/body_fields.hpp"
#include "services/catalog/http/product_ref.hpp"
#include "services/catalog/http/render.hpp"
#include "services/catalog/http/route_groups.hpp"

namespace emporium::catalog {
namespace {

using fields::kMaxPrice;

// Browsers and CDNs may reuse a catalog answer briefly, then revalidate with
// If-None-Match (a 304 costs no body). Short, because prices change and the
// shop's own caches are invalidated at once on every write.
constexpr std::string_view kBrowseCacheControl = "public, max-age=5";
constexpr std::string_view kCategoriesCacheControl = "public, max-age=60";

constexpr std::size_t kMaxQueryBytes = 200;
constexpr std::size_t kMaxBrands = 20;

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

}  // namespace

void addBrowseRoutes(http::Router& router, CatalogApi& api) {
  using http::Method;
  using http::Request;
  using http::Response;

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
}

}  // namespace emporium::catalog
