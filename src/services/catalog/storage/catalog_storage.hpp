#pragma once
// The catalog's tables, one store per concern: every SQL statement of the
// service lives behind one of these. They share the database and the outbox.

#include "core/events/outbox.hpp"
#include "core/sql/database.hpp"
#include "services/catalog/storage/category_store.hpp"
#include "services/catalog/storage/listing_store.hpp"
#include "services/catalog/storage/product_store.hpp"
#include "services/catalog/storage/review_store.hpp"
#include "services/catalog/storage/stock_mirror_store.hpp"

namespace emporium::catalog {

struct CatalogStorage {
  /// Product writes add "product.updated" and reviews "review.created" to
  /// `outbox` in their transactions.
  CatalogStorage(sql::Database& db, const events::Outbox& outbox)
      : categories(db), listings(db), products(db, outbox), reviews(db, outbox), stock(db) {}

  CategoryStore categories;
  ListingStore listings;
  ProductStore products;
  ReviewStore reviews;
  StockMirrorStore stock;
};

}  // namespace emporium::catalog
