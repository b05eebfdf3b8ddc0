// The catalog store's listing and admin writes on both backends: the rating
// sort's damped mean (issue 14), product-wide and per-variant prices, and the
// in-stock mirror fed by inventory's stock.changed levels (issue 15, A4).

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
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

  // The variant's mirrored stock and whether its product shows in stock.
  std::pair<std::int64_t, bool> shown(std::int64_t product_id, const std::string& sku) {
    const auto p = storage_->products.productAnyState(product_id);
    EXPECT_TRUE(p.has_value());
    if (!p) return {-1, false};
    for (const auto& v : p->variants) {
      if (v.sku == sku) return {v.stock, p->summary.in_stock};
    }
    ADD_FAILURE() << "no variant " << sku;
    return {-1, false};
  }

  std::vector<StockFlip> apply(std::vector<PublishedLevel> levels) {
    return storage_->stock.applyLevels(levels);
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

// A level is applied only when newer than the one held; a variant going in or
// out of stock refreshes its product's in_stock and is reported (once per
// product) so the consumer drops its cached pages.
TEST_P(CatalogStoreTest, StockLevelsApplyWhenNewerAndReportProductsThatFlipped) {
  const auto lamp = product("lamp", {"LAMP-1", "LAMP-2"});  // 5 each, version 0
  // Fewer units, still in stock: written, nothing for shoppers to see.
  EXPECT_TRUE(apply({{"LAMP-1", 3, 1}}).empty());
  EXPECT_EQ(shown(lamp, "LAMP-1"), std::make_pair(std::int64_t{3}, true));
  // One variant sells out: its product is reported, still in stock overall.
  auto flips = apply({{"LAMP-1", 0, 2}});
  ASSERT_EQ(flips.size(), 1U);
  EXPECT_EQ(flips[0].product_id, lamp);
  EXPECT_EQ(flips[0].slug, "lamp");
  EXPECT_EQ(shown(lamp, "LAMP-1"), std::make_pair(std::int64_t{0}, true));
  // Both variants in one event: the product is reported once, now sold out.
  flips = apply({{"LAMP-1", 4, 3}, {"LAMP-2", -2, 1}});  // a negative level shows as 0
  EXPECT_EQ(flips.size(), 1U);
  flips = apply({{"LAMP-1", 0, 4}});
  ASSERT_EQ(flips.size(), 1U);
  EXPECT_EQ(shown(lamp, "LAMP-1"), std::make_pair(std::int64_t{0}, false));
  EXPECT_EQ(shown(lamp, "LAMP-2"), std::make_pair(std::int64_t{0}, false));
  // Redelivered (same version) and overtaken (older) levels change nothing,
  // and an unknown SKU is skipped without failing the event.
  EXPECT_TRUE(apply({{"LAMP-1", 9, 4}, {"LAMP-2", 9, 0}, {"GHOST", 9, 7}}).empty());
  EXPECT_EQ(shown(lamp, "LAMP-1"), std::make_pair(std::int64_t{0}, false));
  // Reordered: version 6 first, then 5, which is dropped.
  EXPECT_EQ(apply({{"LAMP-2", 2, 6}}).size(), 1U);
  EXPECT_TRUE(apply({{"LAMP-2", 0, 5}}).empty());
  EXPECT_EQ(shown(lamp, "LAMP-2"), std::make_pair(std::int64_t{2}, true));
}

// Catalog instances consuming one queue apply levels of a SKU at once: the
// newest version wins whatever order they commit in, and the product's
// in_stock agrees with its variants.
TEST_P(CatalogStoreTest, ConcurrentLevelsOfOneSkuEndAtTheNewest) {
  const auto desk = product("desk", {"DESK-1"});
  constexpr int kThreads = 4;
  constexpr std::int64_t kVersions = 80;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::int64_t> mine;
      for (std::int64_t v = 1 + t; v <= kVersions; v += kThreads) mine.push_back(v);
      std::shuffle(mine.begin(), mine.end(), std::mt19937(static_cast<unsigned>(t)));
      for (const auto v : mine) {
        // Odd versions in stock, even ones sold out: many flips race.
        try {
          apply({{"DESK-1", v % 2 == 1 ? v : 0, v}});
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(shown(desk, "DESK-1"), std::make_pair(std::int64_t{0}, false));  // version 80
  EXPECT_TRUE(apply({{"DESK-1", 7, 79}}).empty());
  EXPECT_EQ(apply({{"DESK-1", 7, 81}}).size(), 1U);
  EXPECT_EQ(shown(desk, "DESK-1"), std::make_pair(std::int64_t{7}, true));
}

INSTANTIATE_TEST_SUITE_P(Backends, CatalogStoreTest,
                         ::testing::Values(sql::test::Backend::kSqlite,
                                           sql::test::Backend::kPostgres),
                         sql::test::backendName);

}  // namespace
}  // namespace emporium::catalog
