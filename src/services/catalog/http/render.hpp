#pragma once
// The catalog's JSON shapes, as ../shared/design/api.md fixes them.

#include <string>
#include <vector>

#include "services/catalog/domain/listing.hpp"
#include "services/catalog/domain/model.hpp"

namespace emporium::catalog {

std::string renderCategoryTree(const std::vector<Category>& categories);
std::string renderCategory(const Category& category);
std::string renderListing(const ListingPage& page, Sort sort);
std::string renderProduct(const Product& product, bool admin_view);
std::string renderReviews(const std::vector<Review>& reviews, bool has_more);
std::string renderReview(const Review& review);
std::string renderSummaries(const std::vector<ProductSummary>& items);

}  // namespace emporium::catalog
