#pragma once
// The catalog's routes in three groups, each in its own file; addRoutes
// (routes.cpp) adds all three.

#include <string_view>

#include "core/http/router.hpp"
#include "services/catalog/http/routes.hpp"

namespace emporium::catalog {

/// The category tree's cache key: browsing fills it, admin writes drop it.
inline constexpr std::string_view kCategoriesKey = "categories";

/// Categories, listings, product detail, recommendations: cached, with fast paths.
void addBrowseRoutes(http::Router& router, CatalogApi& api);
/// Admin writes and reads of products, variants and categories.
void addAdminRoutes(http::Router& router, CatalogApi& api);
/// A product's reviews: listed by anyone, written by signed-in customers.
void addReviewRoutes(http::Router& router, CatalogApi& api);

}  // namespace emporium::catalog
