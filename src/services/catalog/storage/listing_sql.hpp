#pragma once
// The text of a listing's statements, composed from the filters a request
// uses: the shared FROM/WHERE scope, the search plan, the ranking and the
// keyset. Pure string building; ListingStore runs what it builds.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sql/database.hpp"
#include "services/catalog/domain/listing.hpp"

namespace emporium::catalog::listing_sql {

/// Builds one statement's text and its parameters. Strings are owned here
/// because sql::Param only borrows.
class Statement {
 public:
  std::string bind(std::int64_t value) {
    params_.emplace_back(value);
    return placeholder();
  }
  std::string bind(double value) {
    params_.emplace_back(value);
    return placeholder();
  }
  std::string bind(std::string value) {
    owned_.push_back(std::move(value));
    params_.emplace_back(std::string_view(owned_.back()));
    return placeholder();
  }
  const std::vector<sql::Param>& params() const { return params_; }

 private:
  std::string placeholder() const { return "$" + std::to_string(params_.size()); }
  std::deque<std::string> owned_;  // deque: growing never moves the strings params_ points into
  std::vector<sql::Param> params_;
};

/// Whether a statement applies the three filters facets count across
/// (category, brand, price) or leaves them to the facet pass.
enum class FacetFilters : std::uint8_t { kApply, kOmit };

/// At most this many rows feed the facet counts of one listing.
inline constexpr std::size_t kFacetRowLimit = 10000;

/// How a listing's search words are matched.
struct SearchPlan {
  enum class Mode : std::uint8_t { kNone, kFullText, kTrigram } mode = Mode::kNone;
  std::string text;  // FTS5 MATCH expression, tsquery text, or the raw words for trigrams
};

/// The FROM clause and the WHERE conditions every listing statement shares.
struct Scope {
  std::string from;
  std::string where;
};

/// Search words as an FTS5 MATCH expression (SQLite) or tsquery text
/// (PostgreSQL): each word quoted, the last one a prefix.
std::string fts5Expression(const std::vector<std::string>& terms);
std::string tsqueryText(const std::vector<std::string>& terms);

Scope listingScope(sql::Dialect dialect, const ListingQuery& query, const SearchPlan& search,
                   const std::optional<std::string>& category_path, FacetFilters facet_filters,
                   Statement& st);
std::string scoreExpression(sql::Dialect dialect, const SearchPlan& search,
                            const std::string& q_param);

// sort=rating ranks by a damped (Bayesian) mean, (C*m + sum) / (C + n): each
// product's reviews are topped up with C reviews at the catalog-wide mean m,
// so one 5-star review no longer outranks 4.8 stars from 300 (issue 14).
// C is about the review count at which a product's own mean starts to
// dominate. The displayed rating stays the plain mean.
inline constexpr std::string_view kDampedRating =
    "((10.0 * (SELECT COALESCE(SUM(r.rating * r.review_count) / "
    "NULLIF(CAST(SUM(r.review_count) AS DOUBLE PRECISION), 0), 0) FROM products r "
    "WHERE r.archived = FALSE) + p.rating * p.review_count) / (10.0 + p.review_count))";

std::string orderBy(Sort sort);
std::string keysetCondition(Sort sort, const KeysetPosition& after, Statement& st);

/// Runs a composed statement, named by its text so each distinct shape is
/// prepared once per connection.
sql::Result run(sql::Session& s, const std::string& text, const Statement& st);

}  // namespace emporium::catalog::listing_sql
