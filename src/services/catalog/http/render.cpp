#include "services/catalog/http/render.hpp"

#include <cmath>
#include <map>

#include "core/http/pagination.hpp"
#include "core/json/money.hpp"
#include "core/json/writer.hpp"

namespace emporium::catalog {
namespace {

using json::writeMoney;

double roundedRating(double rating) { return std::round(rating * 100.0) / 100.0; }

void writeSummary(json::Writer& w, const ProductSummary& p) {
  w.startObject()
      .member("id", std::to_string(p.id))
      .member("slug", p.slug)
      .member("title", p.title)
      .member("brand", p.brand)
      .member("category", p.category_slug);
  w.key("price");
  writeMoney(w, p.price, p.currency);
  w.member("rating", roundedRating(p.rating)).member("review_count", p.review_count);
  w.key("image");
  p.image ? w.value(*p.image) : w.null();
  w.member("in_stock", p.in_stock).endObject();
}

void writeCategoryNode(json::Writer& w, const Category& c,
                       const std::multimap<std::int64_t, const Category*>& children) {
  w.startObject().member("id", std::to_string(c.id)).member("slug", c.slug).member("name", c.name);
  w.key("parent_id");
  c.parent_id ? w.value(std::to_string(*c.parent_id)) : w.null();
  w.key("children").startArray();
  const auto [first, last] = children.equal_range(c.id);
  for (auto it = first; it != last; ++it) writeCategoryNode(w, *it->second, children);
  w.endArray().endObject();
}

}  // namespace

std::string renderCategoryTree(const std::vector<Category>& categories) {
  // categories arrive ordered by position, and multimap keeps insertion
  // order among equal keys, so siblings keep their order.
  std::multimap<std::int64_t, const Category*> children;
  for (const auto& c : categories) {
    if (c.parent_id) children.emplace(*c.parent_id, &c);
  }
  json::Writer w;
  w.startArray();
  for (const auto& c : categories) {
    if (!c.parent_id) writeCategoryNode(w, c, children);
  }
  w.endArray();
  return w.str();
}

std::string renderCategory(const Category& category) {
  json::Writer w;
  writeCategoryNode(w, category, {});
  return w.str();
}

std::string renderListing(const ListingPage& page, Sort sort) {
  json::Writer w;
  w.startObject().key("items").startArray();
  for (const auto& item : page.items) writeSummary(w, item);
  w.endArray();
  w.key("facets").startObject();
  w.key("category").startArray();
  for (const auto& f : page.facets.category) {
    w.startObject().member("value", f.value).member("count", f.count).endObject();
  }
  w.endArray().key("brand").startArray();
  for (const auto& f : page.facets.brand) {
    w.startObject().member("value", f.value).member("count", f.count).endObject();
  }
  w.endArray().key("price").startArray();
  for (const auto& b : page.facets.price) {
    w.startObject().member("min", b.min);
    w.key("max");
    b.max ? w.value(*b.max) : w.null();
    w.member("count", b.count).endObject();
  }
  w.endArray();
  // Added to the contract: false when the counts cover only part of a very large result.
  w.member("complete", page.facets.complete);
  w.endObject();
  w.key("next_cursor");
  page.next ? w.value(http::encodeCursor(encodePosition(sort, *page.next))) : w.null();
  // Added to the contract: the search tolerated typos to find these.
  w.member("fuzzy", page.fuzzy);
  w.endObject();
  return w.str();
}

std::string renderProduct(const Product& product, bool admin_view) {
  const auto& p = product.summary;
  json::Writer w;
  w.startObject()
      .member("id", std::to_string(p.id))
      .member("slug", p.slug)
      .member("title", p.title)
      .member("description", product.description)
      .member("brand", p.brand)
      .member("category", p.category_slug);
  w.key("price");
  writeMoney(w, p.price, p.currency);
  w.key("images").raw(product.images_json);
  w.key("attributes").raw(product.attributes_json);
  w.member("rating", roundedRating(p.rating))
      .member("review_count", p.review_count)
      .member("in_stock", p.in_stock);
  w.key("variants").startArray();
  for (const auto& v : product.variants) {
    w.startObject().member("sku", v.sku);
    w.key("attributes").raw(v.attributes_json);
    w.key("price");
    writeMoney(w, v.price, p.currency);
    w.member("in_stock", v.stock > 0);
    if (admin_view) w.member("stock", v.stock);
    w.endObject();
  }
  w.endArray();
  if (admin_view) w.member("archived", product.archived);
  w.member("created_at", product.created_at).member("updated_at", product.updated_at);
  w.endObject();
  return w.str();
}

std::string renderReview(const Review& r) {
  json::Writer w;
  w.startObject()
      .member("id", std::to_string(r.id))
      .member("product_id", std::to_string(r.product_id))
      .member("user_name", r.user_name)
      .member("rating", static_cast<std::int64_t>(r.rating))
      .member("title", r.title)
      .member("body", r.body)
      .member("created_at", r.created_at)
      .member("verified_purchase", r.verified_purchase)
      .endObject();
  return w.str();
}

std::string renderReviews(const std::vector<Review>& reviews, bool has_more) {
  json::Writer w;
  w.startObject().key("items").startArray();
  for (const auto& r : reviews) w.raw(renderReview(r));
  w.endArray().key("next_cursor");
  if (has_more && !reviews.empty()) {
    w.value(http::encodeCursor(std::to_string(reviews.back().id)));
  } else {
    w.null();
  }
  w.endObject();
  return w.str();
}

std::string renderSummaries(const std::vector<ProductSummary>& items) {
  json::Writer w;
  w.startObject().key("items").startArray();
  for (const auto& item : items) writeSummary(w, item);
  w.endArray().endObject();
  return w.str();
}

}  // namespace emporium::catalog
