#include "services/catalog/storage/listing_store.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/catalog/storage/listing_sql.hpp"
#include "services/catalog/storage/rows.hpp"

namespace emporium::catalog {
namespace {

using listing_sql::FacetFilters;
using listing_sql::fts5Expression;
using listing_sql::kDampedRating;
using listing_sql::keysetCondition;
using listing_sql::kFacetRowLimit;
using listing_sql::listingScope;
using listing_sql::orderBy;
using listing_sql::run;
using listing_sql::Scope;
using listing_sql::scoreExpression;
using listing_sql::SearchPlan;
using listing_sql::Statement;
using listing_sql::tsqueryText;
using sql::Dialect;

// The summaries of the given products, in the order of ids.
std::vector<ProductSummary> summariesOf(sql::Session& s, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  std::string list;
  for (const auto id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
  Statement st;
  const bool pg = s.dialect() == Dialect::kPostgres;
  const std::string text =
      "SELECT " + std::string(rows::kSummaryColumns) +
      " FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id " +
      (pg ? "= ANY(" + st.bind("{" + list + "}") + "::bigint[])"
          : "IN (SELECT value FROM json_each(" + st.bind("[" + list + "]") + "))");
  std::unordered_map<std::int64_t, ProductSummary> found;
  for (const auto& row : run(s, text, st)) {
    auto summary = rows::readSummary(row);
    found.emplace(summary.id, std::move(summary));
  }
  std::vector<ProductSummary> out;
  out.reserve(ids.size());
  for (const auto id : ids) {
    if (auto it = found.find(id); it != found.end()) out.push_back(std::move(it->second));
  }
  return out;
}

// One page in two steps: first the ids in order, reading only the sort keys
// of every matching row; then the summaries of the page's rows alone. A
// broad search sorts thousands of matches, and carrying titles and image
// lists through that sort cost more than the ranking.
std::vector<ProductSummary> pageItems(sql::Session& s, const ListingQuery& query,
                                      const SearchPlan& search,
                                      const std::optional<std::string>& category_path,
                                      std::optional<KeysetPosition>& next) {
  Statement st;
  const Scope scope =
      listingScope(s.dialect(), query, search, category_path, FacetFilters::kApply, st);
  // The trigram score reuses the words' placeholder ($1: bound first).
  const std::string score = scoreExpression(s.dialect(), search, "$1");
  const std::string rating =
      query.sort == Sort::kRating ? std::string(kDampedRating) : std::string("p.rating");
  std::string text = "SELECT id, score, price, rating FROM (SELECT p.id AS id, " + score +
                     " AS score, p.price AS price, " + rating + " AS rating FROM " + scope.from +
                     scope.where + ") page";
  if (query.after) text += " WHERE " + keysetCondition(query.sort, *query.after, st);
  // Column names in ORDER BY / keyset refer to the subquery's output.
  text += " ORDER BY " + orderBy(query.sort) + " LIMIT " +
          st.bind(static_cast<std::int64_t>(query.limit + 1));
  const auto rows = run(s, text, st);
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < rows.size() && i < query.limit; ++i)
    ids.push_back(rows[i].getInt64(0));
  next.reset();
  if (rows.size() > query.limit && !ids.empty()) {
    const auto& last = rows[query.limit - 1];
    KeysetPosition position;
    position.id = last.getInt64(0);
    position.price = last.getInt64(2);
    position.score = query.sort == Sort::kRating ? last.getDouble(3) : last.getDouble(1);
    position.fuzzy = search.mode == SearchPlan::Mode::kTrigram;
    next = position;
  }
  // Same read transaction: the rows cannot have changed in between.
  return summariesOf(s, ids);
}

std::size_t priceBucket(std::int64_t price) {
  const auto& edges = priceBucketEdges();
  const auto above = std::upper_bound(edges.begin(), edges.end(), price);
  return static_cast<std::size_t>(std::max<std::ptrdiff_t>(above - edges.begin() - 1, 0));
}

// Facets in one pass over the listing's base set (every filter but the
// three facet filters), each facet applying the other two in C++: one
// statement instead of three GROUP BYs, each reading the same rows again.
// Past kFacetRowLimit rows the counts cover the first kFacetRowLimit rows
// only (Facets::complete is false), which bounds a broad search's cost on a
// large catalog.
Facets facets(sql::Session& s, const ListingQuery& query, const SearchPlan& search,
              const std::vector<Category>& categories, const Category* selected) {
  Facets out;
  Statement st;
  const Scope scope =
      listingScope(s.dialect(), query, search, std::nullopt, FacetFilters::kOmit, st);
  const auto rows = run(s,
                        "SELECT p.category_id, p.brand, p.price FROM " + scope.from + scope.where +
                            " LIMIT " + st.bind(static_cast<std::int64_t>(kFacetRowLimit + 1)),
                        st);
  out.complete = rows.size() <= kFacetRowLimit;

  std::unordered_map<std::int64_t, const Category*> by_id;
  for (const auto& c : categories) by_id.emplace(c.id, &c);
  std::unordered_map<std::int64_t, std::int64_t> per_category;
  std::unordered_map<std::string, std::int64_t> per_brand;
  std::vector<std::int64_t> per_bucket(priceBucketEdges().size(), 0);
  std::size_t seen = 0;
  for (const auto& row : rows) {
    if (++seen > kFacetRowLimit) break;
    const std::int64_t category_id = row.getInt64(0);
    std::string brand = row.getText(1);
    const std::int64_t price = row.getInt64(2);
    bool in_category = true;
    if (selected != nullptr) {
      const auto it = by_id.find(category_id);
      in_category = it != by_id.end() && it->second->path.starts_with(selected->path);
    }
    const bool in_brand =
        query.brands.empty() || std::binary_search(query.brands.begin(), query.brands.end(), brand);
    const bool in_price = (!query.price_min || price >= *query.price_min) &&
                          (!query.price_max || price <= *query.price_max);
    if (in_brand && in_price) ++per_category[category_id];
    if (in_category && in_price) ++per_brand[std::move(brand)];
    if (in_category && in_brand) ++per_bucket[priceBucket(price)];
  }

  // Categories: rolled up to every ancestor. Shown: the departments, and the
  // children of each category on the selected one's path, so a shopper can
  // drill down from where they are.
  std::unordered_map<std::int64_t, std::int64_t> rolled;
  for (const auto& [category_id, count] : per_category) {
    for (auto it = by_id.find(category_id); it != by_id.end();) {
      rolled[it->first] += count;
      if (!it->second->parent_id) break;
      it = by_id.find(*it->second->parent_id);
    }
  }
  for (const auto& c : categories) {
    bool shown = !c.parent_id;
    if (!shown && selected != nullptr) {
      const auto parent = by_id.find(*c.parent_id);
      shown = parent != by_id.end() && selected->path.starts_with(parent->second->path);
    }
    const auto count = rolled.find(c.id);
    if (shown && count != rolled.end() && count->second > 0) {
      out.category.push_back({c.slug, count->second});
    }
  }
  std::stable_sort(out.category.begin(), out.category.end(),
                   [](const FacetValue& a, const FacetValue& b) { return a.count > b.count; });

  // Brands: the 20 most common, plus every selected one.
  std::vector<FacetValue> brands;
  brands.reserve(per_brand.size());
  for (auto& [brand, count] : per_brand) brands.push_back({brand, count});
  std::sort(brands.begin(), brands.end(), [](const FacetValue& a, const FacetValue& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  });
  constexpr std::size_t kTopBrands = 20;
  for (std::size_t i = 0; i < brands.size(); ++i) {
    if (i < kTopBrands ||
        std::binary_search(query.brands.begin(), query.brands.end(), brands[i].value)) {
      out.brand.push_back(brands[i]);
    }
  }

  const auto& edges = priceBucketEdges();
  for (std::size_t bucket = 0; bucket < edges.size(); ++bucket) {
    if (per_bucket[bucket] == 0) continue;
    PriceBucket b;
    b.min = edges[bucket];
    if (bucket + 1 < edges.size()) b.max = edges[bucket + 1];
    b.count = per_bucket[bucket];
    out.price.push_back(b);
  }
  return out;
}

// The typo-tolerant fallback on SQLite: each word that is not in the index
// is replaced by the closest indexed term (fewest edits, then most documents).
std::optional<std::vector<std::string>> correctedTerms(sql::Session& s,
                                                       const std::vector<std::string>& terms) {
  static constexpr sql::Query kTermExists{"catalog.fts_term_exists",
                                          "SELECT 1 FROM products_fts_terms WHERE term = $1"};
  static constexpr sql::Query kTermsFrom{
      "catalog.fts_terms_from",
      "SELECT term, doc FROM products_fts_terms WHERE term >= $1 AND term < $2"};
  std::vector<std::string> corrected;
  bool changed = false;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const std::string& word = terms[i];
    const bool last = i + 1 == terms.size();
    if (!s.execute(kTermExists, {word}).empty() || allowedTypos(word) == 0) {
      corrected.push_back(word);
      continue;
    }
    // Candidates share the first letter: a typo there is rare, and the
    // range keeps the scan to a slice of the vocabulary.
    const std::string from = word.substr(0, 1);
    std::string to = from;
    to.back() = static_cast<char>(to.back() + 1);
    std::string best;
    std::size_t best_distance = allowedTypos(word) + 1;
    std::int64_t best_docs = -1;
    for (const auto& row : s.execute(kTermsFrom, {from, to})) {
      const std::string term = row.getText(0);
      if (term.size() + 4 < word.size() || term.size() > word.size() + 2) continue;
      const std::size_t distance =
          last && term.starts_with(word) ? 0 : stemAwareDistance(word, term);
      const std::int64_t docs = row.getInt64(1);
      if (distance < best_distance || (distance == best_distance && docs > best_docs)) {
        best = term;
        best_distance = distance;
        best_docs = docs;
      }
    }
    if (best.empty()) return std::nullopt;
    changed = changed || best != word;
    corrected.push_back(best);
  }
  if (!changed) return std::nullopt;
  return corrected;
}

constexpr sql::Query kSetTrigramThreshold{
    "catalog.trigram_threshold",
    "SELECT set_config('pg_trgm.word_similarity_threshold', '0.45', true)"};

}  // namespace

ListingPage ListingStore::list(const ListingQuery& query) {
  return db_.read([&](sql::Session& s) {
    const auto categories = rows::loadCategories(s);
    const Category* selected = nullptr;
    std::optional<std::string> category_path;
    if (query.category) {
      for (const auto& c : categories) {
        if (c.slug == *query.category) selected = &c;
      }
      if (selected == nullptr) {
        throw UnknownReference{"category", "no category has the slug '" + *query.category + "'"};
      }
      category_path = selected->path;
    }
    ListingPage page;
    SearchPlan search;
    if (!query.terms.empty()) {
      search.mode = SearchPlan::Mode::kFullText;
      search.text = s.dialect() == Dialect::kPostgres ? tsqueryText(query.terms)
                                                      : fts5Expression(query.terms);
    }
    // A cursor from a fuzzy page continues the fuzzy search.
    const bool continue_fuzzy = query.after && query.after->fuzzy && !query.terms.empty();
    if (!continue_fuzzy) page.items = pageItems(s, query, search, category_path, page.next);
    if (!query.terms.empty() && (continue_fuzzy || (page.items.empty() && !query.after))) {
      // Nothing matched the words as typed: retry tolerating typos.
      if (s.dialect() == Dialect::kPostgres) {
        std::string words;
        for (const auto& t : query.terms) words += (words.empty() ? "" : " ") + t;
        s.execute(kSetTrigramThreshold);
        search = SearchPlan{SearchPlan::Mode::kTrigram, words};
        page.items = pageItems(s, query, search, category_path, page.next);
        page.fuzzy = !page.items.empty();
      } else if (auto corrected = correctedTerms(s, query.terms)) {
        search.text = fts5Expression(*corrected);
        page.items = pageItems(s, query, search, category_path, page.next);
        page.fuzzy = true;
        if (page.next) page.next->fuzzy = true;
      }
    }
    if (query.with_facets) page.facets = facets(s, query, search, categories, selected);
    return page;
  });
}

}  // namespace emporium::catalog
