// The catalog store's listing and admin writes on both backends: the rating
// sort's damped mean (issue 14), and product-wide and per-variant prices.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/sql/migrations.hpp"
#include "services/catalog/storage/catalog_storage.hpp"
#include "services/catalog/storage/schema.hpp"
#include "sql_test_support.hpp"

namespace emporium::catalog {
namespace {

using sql::test::SqlTest;

class CatalogStoreTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
    outbox_ = std::make_unique<events::Outbox>("catalog", *db_, doorbell_);
    storage_ = std::make_unique<CatalogStorage>(*db_, *outbox_);
    Category created;
    ASSERT_EQ(storage_->categories.createCategory("lamps", "Lamps", std::nullopt, created),
              WriteOutcome::kDone);
    category_ = created.id;
  }

  // A product with one variant per SKU; its id.
  std::int64_t product(const std::string& slug, const std::vector<std::string>& skus = {}) {
    NewProduct p;
    p.slug = slug;
    p.title = slug;
    p.brand = "Acme";
    p.category_id = category_;
    for (const auto& sku : skus.empty() ? std::vector<std::string>{slug + "-1"} : skus) {
      p.variants.push_back(NewVariant{sku, 1000, "{}", 5});
    }
    Product created;
    EXPECT_EQ(storage_->products.createProduct(p, created), WriteOutcome::kDone);
    return created.summary.id;
  }

  // Sets the aggregate the ratings consumer maintains (as the seed loads it).
  void rate(std::int64_t id, double mean, std::int64_t count) {
    db_->write([&](sql::Session& s) {
      s.execute(sql::Query{"test.rate",
                           "UPDATE products SET rating = $2, review_count = $3 "
                           "WHERE id = $1"},
                {id, mean, count});
      return 0;
    });
  }

  // Every page of sort=rating, `limit` at a time.
  std::vector<std::int64_t> byRating(std::size_t limit) {
    std::vector<std::int64_t> ids;
    ListingQuery q;
    q.sort = Sort::kRating;
    q.limit = limit;
    q.with_facets = false;
    for (int page = 0; page < 50; ++page) {
      const auto result = storage_->listings.list(q);
      for (const auto& item : result.items) ids.push_back(item.id);
      if (!result.next) break;
      q.after = result.next;
    }
    return ids;
  }

  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<CatalogStorage> storage_;
  std::int64_t category_ = 0;
};

// Issue 14: 5.0 from one review ranked above 4.8 from 300.
TEST_P(CatalogStoreTest, RatingSortDampsProductsWithFewReviews) {
  const auto one_review = product("one-review");
  const auto many_reviews = product("many-reviews");
  const auto mediocre = product("mediocre");
  const auto unrated = product("unrated");
  const auto few_good = product("few-good");
  rate(one_review, 5.0, 1);
  rate(many_reviews, 4.8, 300);
  rate(mediocre, 3.0, 100);
  rate(few_good, 4.5, 12);
  // The catalog mean m is (5 + 1440 + 300 + 54) / 413 = 4.36: one 5-star
  // review moves its product a little above that, 300 of 4.8 almost to 4.8.
  const std::vector<std::int64_t> expected = {many_reviews, few_good, one_review, unrated,
                                              mediocre};
  EXPECT_EQ(byRating(20), expected);
  // Keyset pages over the damped score neither repeat nor skip.
  EXPECT_EQ(byRating(1), expected);
  EXPECT_EQ(byRating(2), expected);
  // The listing still shows the plain mean.
  ListingQuery q;
  q.sort = Sort::kRating;
  q.with_facets = false;
  const auto page = storage_->listings.list(q);
  ASSERT_FALSE(page.items.empty());
  EXPECT_DOUBLE_EQ(page.items[0].rating, 4.8);
  EXPECT_EQ(page.items[0].review_count, 300);
}

// Issue 14: a product-level price was ignored; it now sets every variant's,
// and the variant write changes one (only of its own product).
TEST_P(CatalogStoreTest, ProductPriceSetsEveryVariantAndVariantWritesChangeOne) {
  const auto tee = product("tee", {"TEE-S", "TEE-M"});
  const auto other = product("other", {"OTHER-1"});
  ProductPatch patch;
  patch.price = 1250;
  Product updated;
  std::string previous_slug;
  ASSERT_EQ(storage_->products.updateProduct(tee, patch, updated, previous_slug),
            WriteOutcome::kDone);
  ASSERT_EQ(updated.variants.size(), 2U);
  for (const auto& v : updated.variants) EXPECT_EQ(v.price, 1250) << v.sku;
  EXPECT_EQ(updated.summary.price, 1250);

  ProductPatch::VariantPatch one;
  one.sku = "TEE-M";
  one.price = 990;
  one.stock = 0;
  ASSERT_EQ(storage_->products.updateVariant(tee, one, updated), WriteOutcome::kDone);
  EXPECT_EQ(updated.variants[0].price, 1250);
  EXPECT_EQ(updated.variants[1].price, 990);
  EXPECT_EQ(updated.summary.price, 990);  // the lowest variant's
  // Another product's SKU, or none, is not found; nothing changes.
  one.sku = "OTHER-1";
  EXPECT_EQ(storage_->products.updateVariant(tee, one, updated), WriteOutcome::kNotFound);
  one.sku = "NOPE";
  EXPECT_EQ(storage_->products.updateVariant(tee, one, updated), WriteOutcome::kNotFound);
  const auto unchanged = storage_->products.product(other);
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->variants[0].price, 1000);
}

INSTANTIATE_TEST_SUITE_P(Backends, CatalogStoreTest,
                         ::testing::Values(sql::test::Backend::kSqlite,
                                           sql::test::Backend::kPostgres),
                         sql::test::backendName);

}  // namespace
}  // namespace emporium::catalog
