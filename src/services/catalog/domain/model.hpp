#pragma once
// What the catalog holds, as the domain sees it: plain values, no storage or
// transport types.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emporium::catalog {

struct Category {
  std::int64_t id = 0;
  std::string slug;
  std::string name;
  std::optional<std::int64_t> parent_id;
  std::string path;  // "/1/7/42/": ids from the root down
  std::int64_t position = 0;
};

/// One row of a listing: what a product card shows.
struct ProductSummary {
  std::int64_t id = 0;
  std::string slug;
  std::string title;
  std::string brand;
  std::string category_slug;
  std::int64_t price = 0;  // minor units
  std::string currency;
  double rating = 0;
  std::int64_t review_count = 0;
  std::optional<std::string> image;
  bool in_stock = false;
};

struct Variant {
  std::string sku;
  std::string attributes_json;  // JSON object
  std::int64_t price = 0;
  std::int64_t stock = 0;
};

struct Product {
  ProductSummary summary;
  std::string description;
  std::string attributes_json;  // JSON object
  std::string images_json;      // JSON array of URLs
  bool archived = false;
  std::string created_at;
  std::string updated_at;
  std::vector<Variant> variants;
};

struct Review {
  std::int64_t id = 0;
  std::int64_t product_id = 0;
  std::string user_id;
  std::string user_name;
  int rating = 0;
  std::string title;
  std::string body;
  std::string created_at;
  /// The author had bought the product when writing it (an order of theirs
  /// containing it was confirmed).
  bool verified_purchase = false;
};

}  // namespace emporium::catalog
