#pragma once
// Loads a generated catalog (generator.hpp) into the catalog database, fast:
// bulk inserts (COPY on PostgreSQL) in batched transactions, generation of
// the next batch overlapping the load of the current one.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "core/sql/database.hpp"

namespace emporium::catalog::seed {

inline constexpr std::int64_t kMaxSeedProducts = 10'000'000;

struct SeedOptions {
  std::int64_t products = 0;  // how many to add: 1 .. kMaxSeedProducts
  std::uint64_t seed = 1;
  /// Add nothing when the catalog already has products.
  bool if_empty = false;
  /// Products per transaction (with their variants and reviews); 0: about
  /// a twentieth of `products`, between 500 and 20,000.
  std::size_t batch_products = 0;
  /// PostgreSQL connections loading batches at the same time.
  std::size_t postgres_writers = 2;
  /// The newest creation time, microseconds since the Unix epoch: products
  /// spread over the two years before it (or, appended to a catalog, after
  /// its newest product).
  std::int64_t now_micros = 0;
};

struct SeedProgress {
  std::int64_t products_done = 0;
  std::int64_t products_total = 0;
  std::chrono::steady_clock::duration elapsed{};
};

struct SeedReport {
  bool skipped = false;                 // if_empty and the catalog had products
  std::int64_t existing_products = 0;   // before this run
  std::int64_t categories_created = 0;  // 0 when a tree was there already
  std::int64_t categories_used = 0;     // leaves products were filed under
  std::int64_t first_product_id = 0;
  std::int64_t products = 0;
  std::int64_t variants = 0;
  std::int64_t reviews = 0;
  std::chrono::steady_clock::duration elapsed{};
};

/// Adds options.products generated products (with variants and reviews) to
/// the catalog behind `db`, whose migrations must have been applied.
///
/// An empty `categories` table first gets the demo tree; otherwise products
/// go under the existing leaves. Product and review ids continue after the
/// current maximum. Each batch commits on its own: a failure part-way keeps
/// the batches before it (and the catalog consistent, batch by batch). On
/// PostgreSQL the identity sequences are moved past the inserted ids and the
/// tables analyzed at the end. Calls on_progress after every batch.
/// Throws std::invalid_argument for bad options, sql::Error from the database.
SeedReport seedCatalog(sql::Database& db, const SeedOptions& options,
                       const std::function<void(const SeedProgress&)>& on_progress = {});

}  // namespace emporium::catalog::seed
