#pragma once
// A product listing request in domain terms (filters, sort, keyset position)
// and what it yields (a page plus facet counts). Parsing from HTTP lives in
// http/; running it against a database lives in storage/.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/catalog/domain/model.hpp"

namespace emporium::catalog {

enum class Sort : std::uint8_t { kRelevance, kNewest, kPriceAsc, kPriceDesc, kRating };

std::string_view sortName(Sort sort);
std::optional<Sort> parseSort(std::string_view text);

/// Where the previous page ended: the sort key of its last row. For
/// kRelevance the key is the search score, for kRating the rating, for the
/// price sorts the price; kNewest needs only the id.
struct KeysetPosition {
  double score = 0;
  std::int64_t price = 0;
  std::int64_t id = 0;
  /// True when the page it continues came from the typo-tolerant fallback.
  bool fuzzy = false;
};

/// Encodes a position for a cursor (tagged with the sort, so a cursor cannot
/// be replayed against another sort) and decodes it; nullopt for text that
/// is not a position of this sort.
std::string encodePosition(Sort sort, const KeysetPosition& position);
std::optional<KeysetPosition> decodePosition(Sort sort, std::string_view text);

struct ListingQuery {
  /// The search words, already tokenized (see searchTerms); empty: no search.
  std::vector<std::string> terms;
  std::optional<std::string> category;  // slug; includes descendants
  std::vector<std::string> brands;      // any of these (sorted, unique)
  std::optional<std::int64_t> price_min;
  std::optional<std::int64_t> price_max;
  bool in_stock_only = false;
  Sort sort = Sort::kNewest;
  std::size_t limit = 20;
  std::optional<KeysetPosition> after;
  /// Recommendations want only the page; facets cost a pass over the base set.
  bool with_facets = true;

  /// A canonical text of everything that decides the result, for cache keys.
  std::string cacheKey() const;
};

struct FacetValue {
  std::string value;
  std::int64_t count = 0;
};

struct PriceBucket {
  std::int64_t min = 0;
  std::optional<std::int64_t> max;  // exclusive; none for the last bucket
  std::int64_t count = 0;
};

struct Facets {
  std::vector<FacetValue> category;
  std::vector<FacetValue> brand;
  std::vector<PriceBucket> price;
  /// False when the listing matched so many products that the counts cover
  /// only a bounded share of them (a broad search on a large catalog).
  bool complete = true;
};

struct ListingPage {
  std::vector<ProductSummary> items;
  std::optional<KeysetPosition> next;  // none on the last page
  Facets facets;
  bool fuzzy = false;  // the search fell back to typo-tolerant matching
};

/// The fixed price-facet bucket edges, minor units: [0, 10$), [10$, 25$), ...
const std::vector<std::int64_t>& priceBucketEdges();

/// Splits a shopper's query into search words: runs of letters and digits
/// (any non-ASCII byte counts as a letter), ASCII lower-cased, at most
/// kMaxSearchTerms words of at most kMaxTermBytes bytes. Punctuation and
/// search-syntax characters never reach the database.
inline constexpr std::size_t kMaxSearchTerms = 8;
inline constexpr std::size_t kMaxTermBytes = 40;
std::vector<std::string> searchTerms(std::string_view query);

/// The edit distance from a prefix of `word` to `term`, minimised over
/// prefixes no shorter than term.size() - 1: a typo'd word compared against a
/// stemmed index term ("hedphones" vs "headphon" is 1).
std::size_t stemAwareDistance(std::string_view word, std::string_view term);

/// How far a misspelling may be from its correction: none for short words.
std::size_t allowedTypos(std::string_view word);

}  // namespace emporium::catalog
