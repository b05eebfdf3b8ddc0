// A product's reviews: listed newest first by anyone, written once per
// customer (only by buyers when the shop requires it).

#include <charconv>
#include <string>

#include "core/http/api_error.hpp"
#include "core/http/pagination.hpp"
#include "core/json/body.hpp"
#include "services/catalog/http/body_fields.hpp"
#include "services/catalog/http/product_ref.hpp"
#include "services/catalog/http/render.hpp"
#include "services/catalog/http/route_groups.hpp"

namespace emporium::catalog {
namespace {

using fields::member;
using fields::textField;
using fields::Validation;

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

void addReviewRoutes(http::Router& router, CatalogApi& api) {
  using http::Method;
  using http::Request;

  router.add(Method::kGet, "/api/v1/products/{id}/reviews",
             [&api](Request& req) { return listReviews(api, req); });
  router.add(Method::kPost, "/api/v1/products/{id}/reviews",
             [&api](Request& req) { return createReview(api, req); },
             {.access = http::Access::kUser});
}

}  // namespace emporium::catalog
