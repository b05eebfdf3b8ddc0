// `emporium seed` below the command line: a small generated catalog loaded
// into a migrated catalog database on both backends, then checked the way the
// shop reads it (counts, aggregates, full-text search, appending).

#include <cctype>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/sql/migrations.hpp"
#include "services/catalog/seed/loader.hpp"
#include "services/catalog/storage/schema.hpp"
#include "services/catalog/storage/stock_mirror_store.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/inventory/storage/schema.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

using catalog::seed::SeedOptions;
using catalog::seed::SeedReport;

constexpr std::int64_t kNow = 1'795'651'200'000'000;  // 2026-11-26T00:00:00Z

std::int64_t count(Session& s, std::string_view sql) {
  return s.execute(Query{"", sql})[0].getInt64(0);
}

class SeedLoadTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    catalog_ = open(service_ + "_catalog");
    applyMigrations(*catalog_, catalog::migrations());
  }

  SeedReport seed(std::int64_t products, bool if_empty = false) {
    SeedOptions options;
    options.products = products;
    options.seed = 3;
    options.if_empty = if_empty;
    options.batch_products = 64;  // several batches, loaded by concurrent writers on PostgreSQL
    options.now_micros = kNow;
    return catalog::seed::seedCatalog(*catalog_, options);
  }

  std::int64_t fullTextMatches(std::string_view word) {
    return catalog_->read([&](Session& s) {
      const std::string sql =
          isPostgres() ? "SELECT COUNT(*) FROM products WHERE search @@ to_tsquery('english', '" +
                             std::string(word) + "')"
                       : "SELECT COUNT(*) FROM products_fts WHERE products_fts MATCH '" +
                             std::string(word) + "'";
      return count(s, sql);
    });
  }

  std::unique_ptr<Database> catalog_;
};

TEST_P(SeedLoadTest, LoadsAConsistentCatalog) {
  const SeedReport report = seed(500);
  EXPECT_FALSE(report.skipped);
  EXPECT_EQ(report.products, 500);
  EXPECT_EQ(report.first_product_id, 1);
  EXPECT_EQ(report.categories_created, 312);
  EXPECT_GE(report.variants, 500);
  EXPECT_GT(report.reviews, 500);

  catalog_->read([&](Session& s) {
    EXPECT_EQ(count(s, "SELECT COUNT(*) FROM categories"), 312);
    EXPECT_EQ(count(s, "SELECT COUNT(*) FROM products"), 500);
    EXPECT_EQ(count(s, "SELECT COUNT(*) FROM variants"), report.variants);
    EXPECT_EQ(count(s, "SELECT COUNT(*) FROM reviews"), report.reviews);
    EXPECT_EQ(count(s, "SELECT MIN(id) FROM products"), 1);
    EXPECT_EQ(count(s, "SELECT MAX(id) FROM products"), 500);
    // Every product under a leaf, priced at its cheapest variant, in stock
    // exactly when a variant is.
    EXPECT_EQ(count(s,
                    "SELECT COUNT(*) FROM products p WHERE EXISTS "
                    "(SELECT 1 FROM categories c WHERE c.parent_id = p.category_id)"),
              0);
    EXPECT_EQ(count(s,
                    "SELECT COUNT(*) FROM products p WHERE price <> "
                    "(SELECT MIN(v.price) FROM variants v WHERE v.product_id = p.id)"),
              0);
    EXPECT_EQ(count(s,
                    "SELECT COUNT(*) FROM products p WHERE in_stock <> "
                    "EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.stock > 0)"),
              0);
    // Newest is highest id.
    EXPECT_EQ(count(s,
                    "SELECT COUNT(*) FROM products a JOIN products b ON b.id = a.id + 1 "
                    "WHERE b.created_at <= a.created_at"),
              0);

    // review_count and rating are exactly the reviews' aggregates.
    const Result aggregates = s.execute(
        Query{"",
              "SELECT p.id, p.rating, p.review_count, COUNT(r.id), COALESCE(SUM(r.rating), 0) "
              "FROM products p LEFT JOIN reviews r ON r.product_id = p.id "
              "GROUP BY p.id, p.rating, p.review_count ORDER BY p.id"});
    ASSERT_EQ(aggregates.size(), 500U);
    for (const Row& row : aggregates) {
      const std::int64_t reviews = row.getInt64(3);
      const std::int64_t sum = row.getInt64(4);
      EXPECT_EQ(row.getInt64(2), reviews) << "product " << row.getInt64(0);
      // Rounded half up, in integers, as the generator does.
      const std::int64_t hundredths = reviews == 0 ? 0 : (sum * 200 + reviews) / (2 * reviews);
      const double expected = static_cast<double>(hundredths) / 100.0;
      EXPECT_EQ(row.getDouble(1), expected) << "product " << row.getInt64(0);
    }
    if (isPostgres()) {
      EXPECT_EQ(count(s,
                      "SELECT COUNT(*) FROM products p WHERE p.rating::numeric <> COALESCE("
                      "(SELECT ROUND(AVG(r.rating), 2) FROM reviews r WHERE r.product_id = p.id),"
                      " 0)"),
                0);
    }
  });

  // Full-text search finds a product by a word of its title, nothing by a
  // word that is in no product.
  const std::string title = catalog_->read([](Session& s) {
    return s.execute(Query{"", "SELECT title FROM products WHERE id = 1"})[0].getText(0);
  });
  std::string word = title.substr(title.rfind(' ') + 1);
  if (word.size() < 3 || !std::isalpha(static_cast<unsigned char>(word[0]))) {
    word = title.substr(0, title.find(' '));
  }
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_GE(fullTextMatches(word), 1) << word << " from \"" << title << "\"";
  EXPECT_EQ(fullTextMatches("xylophonezzz"), 0);
}

TEST_P(SeedLoadTest, AppendsAfterTheNewestAndKeepsTheTree) {
  const SeedReport first = seed(150);
  const SeedReport second = seed(100);
  EXPECT_EQ(second.existing_products, 150);
  EXPECT_EQ(second.categories_created, 0);
  EXPECT_EQ(second.categories_used, 240);
  EXPECT_EQ(second.first_product_id, 151);
  catalog_->read([&](Session& s) {
    EXPECT_EQ(count(s, "SELECT COUNT(*) FROM categories"), 312);
    EXPECT_EQ(count(s, "SELECT COUNT(*) FROM products"), 250);
    EXPECT_EQ(count(s, "SELECT COUNT(*) FROM reviews"), first.reviews + second.reviews);
    EXPECT_EQ(count(s,
                    "SELECT COUNT(*) FROM products a JOIN products b ON b.id = a.id + 1 "
                    "WHERE b.created_at <= a.created_at"),
              0);
  });
  // The ids the database hands out next come after the seeded ones.
  catalog_->write([](Session& s) {
    const Result product = s.execute(Query{
        "",
        "INSERT INTO products (slug, title, brand, category_id, price, created_at, updated_at) "
        "VALUES ('after-seed', 'After seed', 'Acme', 3, 100, '2027-01-01T00:00:00.000000Z', "
        "'2027-01-01T00:00:00.000000Z') RETURNING id"});
    EXPECT_EQ(product[0].getInt64(0), 251);
  });

  const SeedReport skipped = seed(10, /*if_empty=*/true);
  EXPECT_TRUE(skipped.skipped);
  EXPECT_EQ(skipped.existing_products, 251);
  EXPECT_EQ(catalog_->read([](Session& s) { return count(s, "SELECT COUNT(*) FROM products"); }),
            251);
}

// What the app does once for a catalog seeded before inventory existed: page
// through the catalog's stock and create the inventory rows it lacks.
TEST_P(SeedLoadTest, CarriesStockOverToInventory) {
  const SeedReport report = seed(200);
  const auto inventory_db = open(service_ + "_inventory");
  applyMigrations(*inventory_db, inventory::migrations());
  events::Doorbell doorbell;
  const events::Outbox inventory_outbox("inventory", *inventory_db, doorbell);
  inventory::InventoryService inventory(*inventory_db, inventory_outbox, 0);
  catalog::StockMirrorStore store(*catalog_);
  ASSERT_TRUE(inventory.setOnHand(store.stockAfter("", 1).at(0).sku, 12345).status ==
              inventory::SetOnHandStatus::kDone);  // already known: left alone

  std::int64_t created = 0;
  std::int64_t pages = 0;
  std::string after;
  while (true) {
    const auto page = store.stockAfter(after, 64);
    if (page.empty()) break;
    ++pages;
    std::vector<inventory::StockLevel> levels;
    levels.reserve(page.size());
    for (const auto& variant : page) levels.push_back({variant.sku, variant.on_hand, 0});
    created += inventory.importMissing(levels);
    after = page.back().sku;
  }
  EXPECT_EQ(pages, (report.variants + 63) / 64);
  EXPECT_EQ(created, report.variants - 1);
  EXPECT_EQ(inventory.count(), report.variants);
  const std::int64_t catalog_units =
      catalog_->read([](Session& s) { return count(s, "SELECT SUM(stock) FROM variants"); });
  const std::int64_t first_units = store.stockAfter("", 1).at(0).on_hand;
  const std::int64_t inventory_units =
      inventory_db->read([](Session& s) { return count(s, "SELECT SUM(on_hand) FROM stock"); });
  EXPECT_EQ(inventory_units, catalog_units - first_units + 12345);
}

TEST_P(SeedLoadTest, RefusesBadCounts) {
  EXPECT_THROW(seed(0), std::invalid_argument);
  EXPECT_THROW(seed(catalog::seed::kMaxSeedProducts + 1), std::invalid_argument);
  EXPECT_EQ(catalog_->read([](Session& s) { return count(s, "SELECT COUNT(*) FROM categories"); }),
            0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SeedLoadTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
