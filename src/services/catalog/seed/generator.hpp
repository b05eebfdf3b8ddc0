#pragma once
// A deterministic generator of a realistic demo catalog: a category tree,
// brands with Zipf popularity, products with variants and reviews. Pure: the
// same inputs give byte-identical rows on every platform (own PRNG and
// distributions, see random.hpp); nothing here touches a database.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace emporium::catalog::seed {

/// A row of `categories`.
struct SeedCategory {
  std::int64_t id = 0;
  std::string slug;
  std::string name;
  std::optional<std::int64_t> parent_id;
  std::string path;  // "/1/7/42/": ids from the root down, this one last
  std::int64_t position = 0;
  std::string created_at;
};

/// A row of `products`.
struct SeedProduct {
  std::int64_t id = 0;
  std::string slug;
  std::string title;
  std::string description;
  std::string brand;
  std::int64_t category_id = 0;
  std::int64_t price = 0;  // minor units (cents): the lowest variant price
  std::string currency = "USD";
  std::string attributes;  // JSON object
  std::string images;      // JSON array of URLs
  double rating = 0;       // mean of the review ratings, rounded to 2 decimals
  std::int64_t review_count = 0;
  bool in_stock = false;  // some variant has stock
  std::string created_at;
  std::string updated_at;
};

/// A row of `variants`.
struct SeedVariant {
  std::string sku;
  std::int64_t product_id = 0;
  std::string attributes;  // JSON object
  std::int64_t price = 0;
  std::int64_t stock = 0;
  std::int64_t position = 0;
};

/// A row of `reviews`.
struct SeedReview {
  std::int64_t id = 0;
  std::int64_t product_id = 0;
  std::string user_id;
  std::string user_name;
  std::int64_t rating = 0;  // 1-5
  std::string title;
  std::string body;
  std::string created_at;
};

/// Rows generated together; products in ascending id order.
struct ProductBatch {
  std::vector<SeedProduct> products;
  std::vector<SeedVariant> variants;
  std::vector<SeedReview> reviews;
};

/// The demo category tree: 12 departments, 5 subcategories each and 4 leaves
/// under each subcategory (312 nodes), ids first_id, first_id + 1, ... in
/// depth-first order. The same for every seed. Slugs are unique within the
/// tree ("headphones"; "automotive-electronics" where a plain one repeats).
std::vector<SeedCategory> generateCategoryTree(std::int64_t first_id,
                                               const std::string& created_at);

/// A category products may be filed under (a leaf of the tree).
struct CategoryChoice {
  std::int64_t id = 0;
  std::string slug;
  std::string name;
};

/// The leaves of `tree` (categories no other category names as parent).
std::vector<CategoryChoice> leafCategories(const std::vector<SeedCategory>& tree);

struct ProductGeneratorOptions {
  std::uint64_t seed = 1;
  std::int64_t count = 0;  // products to generate
  std::int64_t first_product_id = 1;
  std::int64_t first_review_id = 1;
  /// Where products go. A category whose slug is one of generateCategoryTree's
  /// gets products that fit it; any other gets generic ones named after it.
  std::vector<CategoryChoice> categories;
  /// Product created_at values rise with id from `first` to at most `last`
  /// (microseconds since the Unix epoch); reviews and updates fall between a
  /// product's creation and `last`.
  std::int64_t first_created_micros = 0;
  std::int64_t last_created_micros = 0;
};

/// Generates products first_product_id .. first_product_id + count - 1 in
/// batches. Each product comes from its own random stream (seed, id), so the
/// rows do not depend on the batch sizes asked for; review ids follow product
/// order.
class ProductGenerator {
 public:
  /// Throws std::invalid_argument for count < 0, no categories or a time
  /// window that ends before it starts.
  explicit ProductGenerator(ProductGeneratorOptions options);
  ~ProductGenerator();
  ProductGenerator(const ProductGenerator&) = delete;
  ProductGenerator& operator=(const ProductGenerator&) = delete;

  /// The next up to max_products products (none once done()).
  ProductBatch next(std::size_t max_products);
  bool done() const noexcept;
  /// Products generated so far.
  std::int64_t generated() const noexcept;
  /// The brand names products are drawn from, most popular first per department.
  const std::vector<std::string>& brands() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace emporium::catalog::seed
