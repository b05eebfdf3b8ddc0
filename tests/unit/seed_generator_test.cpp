// The demo catalog generator: deterministic, and every row consistent with
// the schema's promises (unique slugs and SKUs, price = lowest variant price,
// rating and review_count = the reviews' aggregates, created_at rising with id).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/catalog/seed/generator.hpp"
#include "services/catalog/seed/random.hpp"
#include "services/catalog/seed/timestamps.hpp"
#include "services/catalog/seed/vocabulary.hpp"

namespace emporium::catalog::seed {
namespace {

constexpr std::int64_t kWindowEnd = 1'795'651'200'000'000;  // 2026-11-26T00:00:00Z
constexpr std::int64_t kTwoYears = 730LL * 86'400'000'000;

ProductGeneratorOptions demoOptions(std::uint64_t seed, std::int64_t count) {
  ProductGeneratorOptions options;
  options.seed = seed;
  options.count = count;
  options.categories = leafCategories(generateCategoryTree(1, "2024-11-26T00:00:00.000000Z"));
  options.first_created_micros = kWindowEnd - kTwoYears;
  options.last_created_micros = kWindowEnd;
  return options;
}

ProductBatch generateAll(ProductGeneratorOptions options, std::size_t batch_size) {
  ProductGenerator generator(std::move(options));
  ProductBatch all;
  while (!generator.done()) {
    ProductBatch batch = generator.next(batch_size);
    std::move(batch.products.begin(), batch.products.end(), std::back_inserter(all.products));
    std::move(batch.variants.begin(), batch.variants.end(), std::back_inserter(all.variants));
    std::move(batch.reviews.begin(), batch.reviews.end(), std::back_inserter(all.reviews));
  }
  return all;
}

// Every field of every row, as one text: equal texts mean equal catalogs.
std::string dump(const ProductBatch& batch) {
  std::string out;
  for (const SeedProduct& p : batch.products) {
    out += std::to_string(p.id) + '|' + p.slug + '|' + p.title + '|' + p.description + '|' +
           p.brand + '|' + std::to_string(p.category_id) + '|' + std::to_string(p.price) + '|' +
           p.currency + '|' + p.attributes + '|' + p.images + '|' + std::to_string(p.rating) + '|' +
           std::to_string(p.review_count) + '|' + (p.in_stock ? "t" : "f") + '|' + p.created_at +
           '|' + p.updated_at + '\n';
  }
  for (const SeedVariant& v : batch.variants) {
    out += v.sku + '|' + std::to_string(v.product_id) + '|' + v.attributes + '|' +
           std::to_string(v.price) + '|' + std::to_string(v.stock) + '|' +
           std::to_string(v.position) + '\n';
  }
  for (const SeedReview& r : batch.reviews) {
    out += std::to_string(r.id) + '|' + std::to_string(r.product_id) + '|' + r.user_id + '|' +
           r.user_name + '|' + std::to_string(r.rating) + '|' + r.title + '|' + r.body + '|' +
           r.created_at + '\n';
  }
  return out;
}

// FNV-1a: a fixed, portable digest (std::hash is neither).
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

TEST(SeedRandom, SameSeedSameSequence) {
  Random a(42);
  Random b(42);
  Random c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs = differs || x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(SeedRandom, PinnedOutput) {
  // xoshiro256** seeded by splitmix64 is fully specified: these values are
  // the same on every platform. A change here changes every seeded catalog.
  Random random(1);
  EXPECT_EQ(random.next(), 0xb3f2af6d0fc710c5ULL);
  EXPECT_EQ(random.next(), 0x853b559647364ceaULL);
  EXPECT_EQ(mix64(0), 0xe220a8397b1dcdafULL);
}

TEST(SeedRandom, DistributionsStayInRange) {
  Random random(7);
  std::vector<int> counts(6, 0);
  double log_sum = 0;
  constexpr int kDraws = 60000;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t below = random.below(6);
    ASSERT_LT(below, 6U);
    ++counts[below];
    const std::int64_t between = random.between(-2, 2);
    ASSERT_GE(between, -2);
    ASSERT_LE(between, 2);
    const double unit = random.unit();
    ASSERT_GE(unit, 0.0);
    ASSERT_LT(unit, 1.0);
    const double price = random.logNormal(35, 0.75);
    ASSERT_GT(price, 0.0);
    log_sum += std::log(price);
  }
  for (const int count : counts) EXPECT_NEAR(count, kDraws / 6.0, kDraws / 60.0);
  // The median of a log-normal is exp(mean of logs).
  EXPECT_NEAR(std::exp(log_sum / kDraws), 35.0, 1.0);
}

TEST(SeedRandom, ZipfFavoursLowRanks) {
  const WeightedTable zipf = WeightedTable::zipf(30, 1.1);
  Random random(3);
  std::vector<int> counts(30, 0);
  for (int i = 0; i < 30000; ++i) ++counts[zipf.sample(random)];
  EXPECT_GT(counts[0], counts[1]);
  EXPECT_GT(counts[1], counts[5]);
  EXPECT_GT(counts[5], counts[29]);
  EXPECT_GT(counts[0], 30000 / 5);  // the top rank takes about a quarter
}

TEST(SeedTimestamps, FormatAndParse) {
  EXPECT_EQ(formatTimestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(formatTimestamp(kWindowEnd + 3'723'000'042), "2026-11-26T01:02:03.000042Z");
  EXPECT_EQ(formatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  for (const std::int64_t micros : {std::int64_t{0}, kWindowEnd, kWindowEnd - kTwoYears + 123'456,
                                    std::int64_t{951'782'400'000'001}}) {
    EXPECT_EQ(parseTimestamp(formatTimestamp(micros)), micros) << formatTimestamp(micros);
  }
  EXPECT_EQ(parseTimestamp("2026-11-26T00:00:00Z"), kWindowEnd);
  EXPECT_EQ(parseTimestamp("2026-11-26T00:00:00.5Z"), kWindowEnd + 500'000);
  EXPECT_EQ(parseTimestamp("2026-02-30T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parseTimestamp("2026-11-26 00:00:00Z"), std::nullopt);
  EXPECT_EQ(parseTimestamp("2026-11-26T00:00:00"), std::nullopt);
  EXPECT_EQ(parseTimestamp(""), std::nullopt);
}

TEST(SeedVocabulary, SlugsAndPlurals) {
  EXPECT_EQ(slugify("Men's Clothing & Shoes"), "mens-clothing-shoes");
  EXPECT_EQ(slugify("  Über--Cool  Speaker X200 "), "ber-cool-speaker-x200");
  EXPECT_EQ(slugify("alpha beta gamma delta", 12), "alpha-beta");
  EXPECT_EQ(pluralize("Bluetooth Speaker"), "Bluetooth Speakers");
  EXPECT_EQ(pluralize("Watch"), "Watches");
  EXPECT_EQ(pluralize("Battery"), "Batteries");
  EXPECT_EQ(pluralize("Toy"), "Toys");
}

TEST(SeedCategoryTree, ShapeSlugsAndPaths) {
  const std::vector<SeedCategory> tree = generateCategoryTree(1, "2024-11-26T00:00:00.000000Z");
  EXPECT_GE(tree.size(), 250U);
  EXPECT_LE(tree.size(), 400U);
  std::map<std::int64_t, const SeedCategory*> by_id;
  std::set<std::string> slugs;
  std::set<std::string> paths;
  std::size_t roots = 0;
  for (const SeedCategory& category : tree) {
    by_id[category.id] = &category;
    EXPECT_TRUE(slugs.insert(category.slug).second) << "duplicate slug " << category.slug;
    EXPECT_TRUE(paths.insert(category.path).second) << "duplicate path " << category.path;
    EXPECT_EQ(category.slug, slugify(category.slug)) << "not a slug: " << category.slug;
    EXPECT_FALSE(category.name.empty());
    if (!category.parent_id) {
      ++roots;
      EXPECT_EQ(category.path, "/" + std::to_string(category.id) + "/");
    } else {
      const SeedCategory& parent = *by_id.at(*category.parent_id);  // parents come first
      EXPECT_EQ(category.path, parent.path + std::to_string(category.id) + "/");
    }
  }
  EXPECT_EQ(roots, 12U);
  EXPECT_EQ(tree.front().name, "Electronics");
  EXPECT_EQ(tree.front().slug, "electronics");
  EXPECT_TRUE(slugs.count("automotive-electronics") == 1) << "a clashing slug gets its parent's";
  EXPECT_EQ(leafCategories(tree).size(), 240U);
  // The same tree every time, and the ids follow first_id.
  const std::vector<SeedCategory> shifted = generateCategoryTree(101, "x");
  EXPECT_EQ(shifted.front().id, 101);
  EXPECT_EQ(shifted[1].path, "/101/102/");
}

TEST(SeedGenerator, DeterministicAndIndependentOfBatchSize) {
  const std::string whole = dump(generateAll(demoOptions(11, 400), 400));
  EXPECT_EQ(whole, dump(generateAll(demoOptions(11, 400), 400)));
  EXPECT_EQ(whole, dump(generateAll(demoOptions(11, 400), 7)));
  EXPECT_NE(whole, dump(generateAll(demoOptions(12, 400), 400)));
}

TEST(SeedGenerator, PinnedCatalog) {
  // Guards "same (N, seed), same catalog" across platforms and standard
  // libraries. Changing the generator on purpose changes this digest: update
  // it then, and say so in the change.
  const ProductBatch batch = generateAll(demoOptions(7, 300), 300);
  EXPECT_EQ(fnv1a(dump(batch)), 0x5898014a04f2d2a6ULL) << std::hex << fnv1a(dump(batch));
}

TEST(SeedGenerator, RowsKeepTheSchemasPromises) {
  constexpr std::int64_t kProducts = 5000;
  ProductGeneratorOptions options = demoOptions(5, kProducts);
  options.first_product_id = 1001;
  options.first_review_id = 501;
  const std::set<std::int64_t> leaf_ids = [&] {
    std::set<std::int64_t> ids;
    for (const CategoryChoice& c : options.categories) ids.insert(c.id);
    return ids;
  }();
  const ProductBatch batch = generateAll(options, 999);
  ASSERT_EQ(batch.products.size(), static_cast<std::size_t>(kProducts));

  std::map<std::int64_t, std::vector<const SeedVariant*>> variants;
  std::set<std::string> skus;
  for (const SeedVariant& v : batch.variants) {
    variants[v.product_id].push_back(&v);
    EXPECT_TRUE(skus.insert(v.sku).second) << "duplicate sku " << v.sku;
    EXPECT_GE(v.stock, 0);
    rapidjson::Document attributes;
    EXPECT_TRUE(!attributes.Parse(v.attributes.c_str()).HasParseError() && attributes.IsObject())
        << v.attributes;
  }
  std::map<std::int64_t, std::vector<const SeedReview*>> reviews;
  std::set<std::pair<std::int64_t, std::string>> reviewers;
  std::int64_t expected_review_id = 501;
  std::map<std::int64_t, int> ratings;
  for (const SeedReview& r : batch.reviews) {
    EXPECT_EQ(r.id, expected_review_id++);
    reviews[r.product_id].push_back(&r);
    EXPECT_TRUE(reviewers.insert({r.product_id, r.user_id}).second)
        << "user " << r.user_id << " reviewed product " << r.product_id << " twice";
    EXPECT_GE(r.rating, 1);
    EXPECT_LE(r.rating, 5);
    ++ratings[r.rating];
    EXPECT_EQ(r.user_id.rfind("usr_seed_", 0), 0U);
    EXPECT_FALSE(r.user_name.empty());
    EXPECT_FALSE(r.title.empty());
    EXPECT_FALSE(r.body.empty());
  }

  std::set<std::string> slugs;
  std::map<std::string, int> brands;
  std::int64_t sold_out = 0;
  std::int64_t without_reviews = 0;
  std::int64_t most_reviews = 0;
  std::optional<std::int64_t> previous_created;
  for (std::size_t i = 0; i < batch.products.size(); ++i) {
    const SeedProduct& p = batch.products[i];
    SCOPED_TRACE("product " + std::to_string(p.id) + " " + p.title);
    EXPECT_EQ(p.id, 1001 + static_cast<std::int64_t>(i));
    EXPECT_TRUE(slugs.insert(p.slug).second);
    EXPECT_EQ(p.slug, slugify(p.slug, 200));
    EXPECT_TRUE(leaf_ids.count(p.category_id) == 1);
    EXPECT_GE(p.description.size(), 40U);
    EXPECT_EQ(p.currency, "USD");
    ++brands[p.brand];
    EXPECT_EQ(p.title.find(p.brand) == 0 || p.title.rfind(':') != std::string::npos, true);

    // Prices: shop-like, and the product shows its cheapest variant.
    const auto& vs = variants[p.id];
    ASSERT_GE(vs.size(), 1U);
    ASSERT_LE(vs.size(), 4U);
    std::int64_t lowest = vs.front()->price;
    bool any_stock = false;
    for (const SeedVariant* v : vs) {
      lowest = std::min(lowest, v->price);
      any_stock = any_stock || v->stock > 0;
      EXPECT_TRUE(v->price % 100 == 49 || v->price % 100 == 99) << v->price;
    }
    EXPECT_EQ(p.price, lowest);
    EXPECT_EQ(p.in_stock, any_stock);
    if (!p.in_stock) ++sold_out;

    // Ratings: exactly the reviews' aggregates.
    const auto& rs = reviews[p.id];
    EXPECT_EQ(p.review_count, static_cast<std::int64_t>(rs.size()));
    std::int64_t sum = 0;
    for (const SeedReview* r : rs) sum += r->rating;
    const double mean = rs.empty() ? 0 : static_cast<double>(sum) / static_cast<double>(rs.size());
    EXPECT_NEAR(p.rating, mean, 0.005 + 1e-9);
    EXPECT_EQ(p.rating, std::round(p.rating * 100) / 100);
    if (rs.empty()) ++without_reviews;
    most_reviews = std::max(most_reviews, static_cast<std::int64_t>(rs.size()));

    // JSON columns.
    rapidjson::Document attributes;
    EXPECT_TRUE(!attributes.Parse(p.attributes.c_str()).HasParseError() && attributes.IsObject())
        << p.attributes;
    rapidjson::Document images;
    ASSERT_TRUE(!images.Parse(p.images.c_str()).HasParseError() && images.IsArray()) << p.images;
    ASSERT_GE(images.Size(), 1U);
    EXPECT_EQ(std::string(images[0].GetString()), "/images/p/" + std::to_string(p.id) + "/1.jpg");

    // Time: rising with id, inside the window; updates and reviews after creation.
    const auto created = parseTimestamp(p.created_at);
    const auto updated = parseTimestamp(p.updated_at);
    ASSERT_TRUE(created && updated) << p.created_at << " " << p.updated_at;
    EXPECT_EQ(p.created_at.size(), 27U);
    EXPECT_GE(*created, options.first_created_micros);
    EXPECT_LE(*updated, options.last_created_micros);
    EXPECT_GE(*updated, *created);
    if (previous_created) EXPECT_GT(*created, *previous_created);
    previous_created = created;
    for (const SeedReview* r : rs) {
      EXPECT_GE(parseTimestamp(r->created_at).value_or(0), *created);
      EXPECT_LE(parseTimestamp(r->created_at).value_or(0), options.last_created_micros);
    }
  }

  // The shape of a real shop.
  const double per_product = static_cast<double>(batch.reviews.size()) / kProducts;
  EXPECT_GT(per_product, 1.5);
  EXPECT_LT(per_product, 2.5);
  EXPECT_GT(without_reviews, kProducts * 35 / 100);
  EXPECT_GE(most_reviews, 24) << "a few popular products have dozens of reviews";
  EXPECT_GT(sold_out, kProducts * 6 / 100);
  EXPECT_LT(sold_out, kProducts * 14 / 100);
  EXPECT_GT(ratings[5], ratings[4]);
  EXPECT_GT(ratings[4], ratings[2]);
  EXPECT_GT(ratings[4], ratings[1]);
  EXPECT_GE(brands.size(), 200U) << "a few hundred brands";
  std::vector<int> shares;
  shares.reserve(brands.size());
  for (const auto& [brand, count] : brands) shares.push_back(count);
  std::sort(shares.rbegin(), shares.rend());
  int top_twenty = 0;
  for (std::size_t i = 0; i < 20; ++i) top_twenty += shares[i];
  EXPECT_GT(top_twenty, kProducts / 4) << "the top brands own much of the catalog";
}

TEST(SeedGenerator, FilesProductsUnderForeignCategories) {
  ProductGeneratorOptions options = demoOptions(1, 50);
  options.categories = {{900, "widgets", "Widgets"}, {901, "gadgets", "Gadget \"Pro\""}};
  const ProductBatch batch = generateAll(options, 50);
  for (const SeedProduct& p : batch.products) {
    EXPECT_TRUE(p.category_id == 900 || p.category_id == 901);
    rapidjson::Document attributes;
    EXPECT_FALSE(attributes.Parse(p.attributes.c_str()).HasParseError());
  }
}

TEST(SeedGenerator, RefusesBadOptions) {
  ProductGeneratorOptions options = demoOptions(1, 10);
  options.categories.clear();
  EXPECT_THROW(ProductGenerator{options}, std::invalid_argument);
  options = demoOptions(1, -1);
  EXPECT_THROW(ProductGenerator{options}, std::invalid_argument);
  options = demoOptions(1, 10);
  options.last_created_micros = options.first_created_micros - 1;
  EXPECT_THROW(ProductGenerator{options}, std::invalid_argument);
}

TEST(SeedGenerator, TinyWindowStillRises) {
  ProductGeneratorOptions options = demoOptions(1, 100);
  options.last_created_micros = options.first_created_micros + 10;  // < 1 microsecond each
  const ProductBatch batch = generateAll(options, 100);
  for (std::size_t i = 1; i < batch.products.size(); ++i) {
    EXPECT_LT(batch.products[i - 1].created_at, batch.products[i].created_at);
  }
}

}  // namespace
}  // namespace emporium::catalog::seed
