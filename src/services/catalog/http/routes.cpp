#include "services/catalog/http/routes.hpp"

#include <string>
#include <vector>

#include "services/catalog/http/product_ref.hpp"
#include "services/catalog/http/route_groups.hpp"

namespace emporium::catalog {

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

void addRoutes(http::Router& router, CatalogApi& api) {
  addBrowseRoutes(router, api);
  addReviewRoutes(router, api);
  addAdminRoutes(router, api);
}

}  // namespace emporium::catalog
