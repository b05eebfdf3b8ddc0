#pragma once
// Row reading the catalog's stores share: categories, product summaries and
// whole products, and the statement that keeps a product's listing columns
// in step with its variants. Internal to storage/.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/sql/database.hpp"
#include "services/catalog/domain/model.hpp"

namespace emporium::catalog::rows {

/// The columns a ProductSummary needs, in readSummary's order.
inline constexpr std::string_view kSummaryColumns =
    "p.id, p.slug, p.title, p.brand, c.slug, p.price, p.currency, p.rating, p.review_count, "
    "p.images, p.in_stock";

/// The listing columns derived from variants: lowest price, any stock.
inline constexpr sql::Query kRefreshDerived{
    "catalog.refresh_derived",
    "UPDATE products SET "
    "price = COALESCE((SELECT MIN(price) FROM variants WHERE product_id = $1), price), "
    "in_stock = EXISTS (SELECT 1 FROM variants WHERE product_id = $1 AND stock > 0), "
    "updated_at = $2 WHERE id = $1"};

ProductSummary readSummary(const sql::Row& row);
std::optional<Product> loadProduct(sql::Session& s, std::int64_t id);
std::vector<Category> loadCategories(sql::Session& s);

}  // namespace emporium::catalog::rows
