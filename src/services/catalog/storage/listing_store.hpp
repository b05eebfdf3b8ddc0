#pragma once
// Listings: one page of products for a set of filters, a search and a sort,
// with the facet counts beside it.

#include "core/sql/database.hpp"
#include "services/catalog/domain/listing.hpp"
#include "services/catalog/storage/outcomes.hpp"

namespace emporium::catalog {

class ListingStore {
 public:
  explicit ListingStore(sql::Database& db) : db_(db) {}

  /// One page of a listing with its facets. Throws UnknownReference for a
  /// category slug that does not exist.
  ListingPage list(const ListingQuery& query);

 private:
  sql::Database& db_;
};

}  // namespace emporium::catalog
