#include "services/catalog/seed/loader.hpp"

#include <algorithm>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "services/catalog/seed/generator.hpp"
#include "services/catalog/seed/timestamps.hpp"

namespace emporium::catalog::seed {
namespace {

using sql::Param;
using sql::Query;
using sql::Session;

constexpr std::int64_t kHistoryMicros = 730 * kMicrosPerDay;  // two years

constexpr Query kCountProducts{"catalog.seed.count_products", "SELECT COUNT(*) FROM products"};
// Ids are handed out in insertion order, so the highest id is the newest.
constexpr Query kNewestProduct{"catalog.seed.newest_product",
                               "SELECT id, created_at FROM products ORDER BY id DESC LIMIT 1"};
constexpr Query kMaxReviewId{"catalog.seed.max_review_id",
                             "SELECT COALESCE(MAX(id), 0) FROM reviews"};
constexpr Query kCountCategories{"catalog.seed.count_categories",
                                 "SELECT COUNT(*) FROM categories"};
constexpr Query kLeafCategories{
    "catalog.seed.leaf_categories",
    "SELECT id, slug, name FROM categories c WHERE NOT EXISTS "
    "(SELECT 1 FROM categories k WHERE k.parent_id = c.id) ORDER BY id"};
// PostgreSQL: explicit ids leave the identity sequences behind. Each batch
// moves them past its own ids (never back: batches commit in any order), so
// an API insert while the seed runs does not collide; the end sets them to
// the maximum. setval is not transactional: a rolled-back batch leaves a gap.
constexpr Query kRaiseProductSequence{
    "catalog.seed.raise_product_sequence",
    "SELECT setval(seq::regclass, GREATEST($1, COALESCE(pg_sequence_last_value(seq::regclass), 0)))"
    " FROM pg_get_serial_sequence('products', 'id') AS seq"};
constexpr Query kRaiseReviewSequence{
    "catalog.seed.raise_review_sequence",
    "SELECT setval(seq::regclass, GREATEST($1, COALESCE(pg_sequence_last_value(seq::regclass), 0)))"
    " FROM pg_get_serial_sequence('reviews', 'id') AS seq"};
constexpr std::string_view kResetSequences = R"sql(
SELECT setval(pg_get_serial_sequence('categories', 'id'), MAX(id)) FROM categories;
SELECT setval(pg_get_serial_sequence('products', 'id'), MAX(id)) FROM products;
SELECT setval(pg_get_serial_sequence('reviews', 'id'), MAX(id)) FROM reviews;
)sql";

constexpr Query kSqliteCacheSize{"catalog.seed.sqlite_cache_size", "PRAGMA cache_size"};

constexpr std::string_view kCategoryColumns[] = {"id",   "slug",     "name",      "parent_id",
                                                 "path", "position", "created_at"};
constexpr std::string_view kProductColumns[] = {
    "id",       "slug",     "title",      "description", "brand",  "category_id",
    "price",    "currency", "attributes", "images",      "rating", "review_count",
    "in_stock", "archived", "created_at", "updated_at"};
constexpr std::string_view kVariantColumns[] = {"sku",   "product_id", "attributes",
                                                "price", "stock",      "position"};
constexpr std::string_view kReviewColumns[] = {"id",     "product_id", "user_id", "user_name",
                                               "rating", "title",      "body",    "created_at"};

struct CatalogState {
  std::int64_t products = 0;
  std::int64_t max_product_id = 0;
  std::optional<std::int64_t> newest_created_micros;
  std::int64_t max_review_id = 0;
  std::int64_t categories = 0;
};

CatalogState readState(sql::Database& db) {
  return db.read([](Session& s) {
    CatalogState state;
    state.products = s.execute(kCountProducts)[0].getInt64(0);
    if (const sql::Result newest = s.execute(kNewestProduct); !newest.empty()) {
      state.max_product_id = newest[0].getInt64(0);
      state.newest_created_micros = parseTimestamp(newest[0].getText(1));
    }
    state.max_review_id = s.execute(kMaxReviewId)[0].getInt64(0);
    state.categories = s.execute(kCountCategories)[0].getInt64(0);
    return state;
  });
}

void insertCategories(sql::Database& db, const std::vector<SeedCategory>& tree) {
  std::vector<Param> values;
  values.reserve(tree.size() * std::size(kCategoryColumns));
  for (const SeedCategory& c : tree) {
    values.insert(values.end(),
                  {c.id, std::string_view(c.slug), std::string_view(c.name),
                   c.parent_id ? Param(*c.parent_id) : Param(nullptr), std::string_view(c.path),
                   c.position, std::string_view(c.created_at)});
  }
  db.write([&](Session& s) {
    s.insertRows("categories", kCategoryColumns, values);
    if (s.dialect() == sql::Dialect::kPostgres) s.executeScript(kResetSequences);
  });
}

std::vector<CategoryChoice> readLeafCategories(sql::Database& db) {
  return db.read([](Session& s) {
    std::vector<CategoryChoice> leaves;
    for (const sql::Row& row : s.execute(kLeafCategories)) {
      leaves.push_back({row.getInt64(0), row.getText(1), row.getText(2)});
    }
    return leaves;
  });
}

// The batch's rows as row-major parameters; they borrow the batch's strings.
struct BatchParams {
  explicit BatchParams(const ProductBatch& batch) {
    products.reserve(batch.products.size() * std::size(kProductColumns));
    for (const SeedProduct& p : batch.products) {
      products.insert(products.end(),
                      {p.id, std::string_view(p.slug), std::string_view(p.title),
                       std::string_view(p.description), std::string_view(p.brand), p.category_id,
                       p.price, std::string_view(p.currency), std::string_view(p.attributes),
                       std::string_view(p.images), p.rating, p.review_count, p.in_stock, false,
                       std::string_view(p.created_at), std::string_view(p.updated_at)});
    }
    variants.reserve(batch.variants.size() * std::size(kVariantColumns));
    for (const SeedVariant& v : batch.variants) {
      variants.insert(variants.end(),
                      {std::string_view(v.sku), v.product_id, std::string_view(v.attributes),
                       v.price, v.stock, v.position});
    }
    reviews.reserve(batch.reviews.size() * std::size(kReviewColumns));
    for (const SeedReview& r : batch.reviews) {
      reviews.insert(
          reviews.end(),
          {r.id, r.product_id, std::string_view(r.user_id), std::string_view(r.user_name), r.rating,
           std::string_view(r.title), std::string_view(r.body), std::string_view(r.created_at)});
    }
  }
  std::vector<Param> products;
  std::vector<Param> variants;
  std::vector<Param> reviews;
};

void insertBatch(sql::Database& db, const ProductBatch& batch) {
  const BatchParams params(batch);
  db.write([&](Session& s) {
    s.insertRows("products", kProductColumns, params.products);
    s.insertRows("variants", kVariantColumns, params.variants);
    s.insertRows("reviews", kReviewColumns, params.reviews);
    if (s.dialect() == sql::Dialect::kPostgres) {
      s.execute(kRaiseProductSequence, {batch.products.back().id});
      if (!batch.reviews.empty()) s.execute(kRaiseReviewSequence, {batch.reviews.back().id});
    }
  });
}

// About 20 batches, so progress moves in 5% steps, but not so small that
// transaction overhead shows, nor so big that a batch's rows crowd memory.
std::size_t batchSize(const SeedOptions& options) {
  if (options.batch_products > 0) return options.batch_products;
  return static_cast<std::size_t>(std::clamp<std::int64_t>(options.products / 20, 500, 20'000));
}

// Raises the SQLite writer's page cache while it lives (see seedCatalog).
class SqliteCacheBoost {
 public:
  explicit SqliteCacheBoost(sql::Database& db) : db_(db) {
    previous_ = db_.write([](Session& s) {
      const std::int64_t previous = s.execute(kSqliteCacheSize)[0].getInt64(0);
      s.executeScript("PRAGMA cache_size = -262144");  // negative: KiB
      return previous;
    });
  }
  ~SqliteCacheBoost() {
    try {
      db_.write([this](Session& s) {
        s.executeScript("PRAGMA cache_size = " + std::to_string(previous_));
      });
    } catch (const sql::Error&) {
      // The connection keeps the big cache: more memory, nothing wrong.
    }
  }
  SqliteCacheBoost(const SqliteCacheBoost&) = delete;
  SqliteCacheBoost& operator=(const SqliteCacheBoost&) = delete;

 private:
  sql::Database& db_;
  std::int64_t previous_ = 0;
};

void validate(const SeedOptions& options) {
  if (options.products < 1 || options.products > kMaxSeedProducts) {
    throw std::invalid_argument("the number of products must be between 1 and " +
                                std::to_string(kMaxSeedProducts) + " (got " +
                                std::to_string(options.products) + ")");
  }
  if (options.postgres_writers == 0)
    throw std::invalid_argument("postgres_writers must be positive");
}

}  // namespace

SeedReport seedCatalog(sql::Database& db, const SeedOptions& options,
                       const std::function<void(const SeedProgress&)>& on_progress) {
  validate(options);
  const auto started = std::chrono::steady_clock::now();
  SeedReport report;
  const CatalogState state = readState(db);
  report.existing_products = state.products;
  if (options.if_empty && state.products > 0) {
    report.skipped = true;
    return report;
  }

  // The time window: two years up to now, or after the newest product when
  // appending, so created_at keeps rising with id.
  std::int64_t first_micros = options.now_micros - kHistoryMicros;
  if (state.newest_created_micros && *state.newest_created_micros >= first_micros) {
    first_micros = *state.newest_created_micros + 1;
  }
  const std::int64_t last_micros = std::max(options.now_micros, first_micros + options.products);

  std::vector<CategoryChoice> leaves;
  if (state.categories == 0) {
    const std::vector<SeedCategory> tree =
        generateCategoryTree(/*first_id=*/1, formatTimestamp(first_micros));
    insertCategories(db, tree);
    report.categories_created = static_cast<std::int64_t>(tree.size());
    leaves = leafCategories(tree);
  } else {
    leaves = readLeafCategories(db);
  }
  report.categories_used = static_cast<std::int64_t>(leaves.size());

  ProductGeneratorOptions generator_options;
  generator_options.seed = options.seed;
  generator_options.count = options.products;
  generator_options.first_product_id = state.max_product_id + 1;
  generator_options.first_review_id = state.max_review_id + 1;
  generator_options.categories = std::move(leaves);
  generator_options.first_created_micros = first_micros;
  generator_options.last_created_micros = last_micros;
  ProductGenerator generator(std::move(generator_options));
  report.first_product_id = state.max_product_id + 1;

  // SQLite's default page cache (2 MB) is far smaller than the indexes a big
  // load touches; every batch would then re-read and spill pages. The
  // writer connection gets 256 MB for the load and its default back after.
  // Declared before the batches in flight, so that they finish first.
  std::optional<SqliteCacheBoost> cache_boost;
  if (db.dialect() == sql::Dialect::kSqlite) cache_boost.emplace(db);

  // Batches go to the database on their own threads while the next ones are
  // generated: PostgreSQL spends most of a batch's time in its backend
  // (tsvector, GIN and B-tree maintenance, foreign key checks), one core per
  // connection, so two connections load about twice as fast. SQLite has one
  // writer: one batch loads while the next is generated.
  struct InFlight {
    std::future<void> done;
    std::int64_t products;
    std::int64_t variants;
    std::int64_t reviews;
  };
  const std::size_t writers =
      db.dialect() == sql::Dialect::kPostgres ? options.postgres_writers : 1;
  std::deque<InFlight> in_flight;
  const auto finishOldest = [&] {
    InFlight oldest = std::move(in_flight.front());
    in_flight.pop_front();
    oldest.done.get();
    report.products += oldest.products;
    report.variants += oldest.variants;
    report.reviews += oldest.reviews;
    if (on_progress) {
      on_progress({report.products, options.products, std::chrono::steady_clock::now() - started});
    }
  };
  const std::size_t batch_size = batchSize(options);
  while (!generator.done()) {
    auto batch = std::make_shared<const ProductBatch>(generator.next(batch_size));
    if (in_flight.size() >= std::max<std::size_t>(writers, 1)) finishOldest();
    in_flight.push_back({std::async(std::launch::async, [&db, batch] { insertBatch(db, *batch); }),
                         static_cast<std::int64_t>(batch->products.size()),
                         static_cast<std::int64_t>(batch->variants.size()),
                         static_cast<std::int64_t>(batch->reviews.size())});
  }
  while (!in_flight.empty()) finishOldest();

  // Fresh statistics, or the planners keep treating the tables as tiny (and
  // SQLite picks the price index for an id-ordered listing).
  db.write([](Session& s) {
    s.executeScript(
        s.dialect() == sql::Dialect::kPostgres
            ? "ANALYZE categories, products, variants, reviews"
            : "ANALYZE categories; ANALYZE products; ANALYZE variants; ANALYZE reviews");
  });
  report.elapsed = std::chrono::steady_clock::now() - started;
  return report;
}

}  // namespace emporium::catalog::seed
