#include "services/catalog/storage/catalog_store.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <unordered_map>

#include "core/json/writer.hpp"
#include "core/util/ids.hpp"

namespace emporium::catalog {
namespace {

using sql::Dialect;

// --- categories -----------------------------------------------------------

constexpr sql::Query kCategories{
    "catalog.categories",
    "SELECT id, slug, name, parent_id, path, position FROM categories ORDER BY position, id"};
constexpr sql::Query kCategoryById{"catalog.category_by_id",
                                   "SELECT path FROM categories WHERE id = $1"};
constexpr sql::Query kInsertCategory{
    "catalog.insert_category",
    "INSERT INTO categories (slug, name, parent_id, path, position, created_at) "
    "VALUES ($1, $2, $3, '', (SELECT COALESCE(MAX(position), 0) + 1 FROM categories), $4) "
    "RETURNING id, position"};
constexpr sql::Query kSetCategoryPath{"catalog.set_category_path",
                                      "UPDATE categories SET path = $2 WHERE id = $1"};

Category readCategory(const sql::Row& row) {
  Category c;
  c.id = row.getInt64(0);
  c.slug = row.getText(1);
  c.name = row.getText(2);
  c.parent_id = row.getOptionalInt64(3);
  c.path = row.getText(4);
  c.position = row.getInt64(5);
  return c;
}

std::vector<Category> loadCategories(sql::Session& s) {
  std::vector<Category> out;
  for (const auto& row : s.execute(kCategories)) out.push_back(readCategory(row));
  return out;
}

// --- products -------------------------------------------------------------

// The columns a ProductSummary needs, in readSummary's order.
constexpr std::string_view kSummaryColumns =
    "p.id, p.slug, p.title, p.brand, c.slug, p.price, p.currency, p.rating, p.review_count, "
    "p.images, p.in_stock";

std::optional<std::string> firstImage(const std::string& images_json) {
  rapidjson::Document doc;
  doc.Parse(images_json.data(), images_json.size());
  if (doc.HasParseError() || !doc.IsArray() || doc.Empty() || !doc[0].IsString()) {
    return std::nullopt;
  }
  return std::string(doc[0].GetString(), doc[0].GetStringLength());
}

ProductSummary readSummary(const sql::Row& row) {
  ProductSummary p;
  p.id = row.getInt64(0);
  p.slug = row.getText(1);
  p.title = row.getText(2);
  p.brand = row.getText(3);
  p.category_slug = row.getText(4);
  p.price = row.getInt64(5);
  p.currency = row.getText(6);
  p.rating = row.getDouble(7);
  p.review_count = row.getInt64(8);
  p.image = firstImage(row.getText(9));
  p.in_stock = row.getBool(10);
  return p;
}

constexpr sql::Query kProductById{
    "catalog.product_by_id",
    "SELECT p.id, p.slug, p.title, p.brand, c.slug, p.price, p.currency, p.rating, "
    "p.review_count, p.images, p.in_stock, p.description, p.attributes, p.archived, p.created_at, "
    "p.updated_at FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1"};
constexpr sql::Query kProductIdBySlug{"catalog.product_id_by_slug",
                                      "SELECT id FROM products WHERE slug = $1"};
constexpr sql::Query kVariants{
    "catalog.variants",
    "SELECT sku, attributes, price, stock FROM variants WHERE product_id = $1 "
    "ORDER BY position, sku"};

std::optional<Product> loadProduct(sql::Session& s, std::int64_t id) {
  const auto rows = s.execute(kProductById, {id});
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  Product p;
  p.summary = readSummary(row);
  p.description = row.getText(11);
  p.attributes_json = row.getText(12);
  p.images_json = row.getText(9);
  p.archived = row.getBool(13);
  p.created_at = row.getText(14);
  p.updated_at = row.getText(15);
  for (const auto& v : s.execute(kVariants, {id})) {
    p.variants.push_back(Variant{v.getText(0), v.getText(1), v.getInt64(2), v.getInt64(3)});
  }
  return p;
}

// --- listing --------------------------------------------------------------

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
constexpr std::size_t kFacetRowLimit = 10000;

/// A PostgreSQL array literal {"a","b"} of text values.
std::string postgresTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

/// A JSON array of strings, for SQLite's json_each().
std::string jsonTextArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const unsigned char c : values[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }
  out += ']';
  return out;
}

/// How a listing's search words are matched.
struct SearchPlan {
  enum class Mode : std::uint8_t { kNone, kFullText, kTrigram } mode = Mode::kNone;
  std::string text;  // FTS5 MATCH expression, tsquery text, or the raw words for trigrams
};

std::string fts5Expression(const std::vector<std::string>& terms) {
  std::string out;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) out += ' ';
    // Quoted: a word is only ever a word, never FTS5 syntax. The last word
    // is a prefix, for type-ahead.
    out += '"' + terms[i] + '"';
    if (i + 1 == terms.size()) out += '*';
  }
  return out;
}

std::string tsqueryText(const std::vector<std::string>& terms) {
  std::string out;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) out += " & ";
    // searchTerms() keeps only letters and digits, but quote anyway: the
    // tsquery parser must see a lexeme, never an operator.
    out += '\'' + terms[i] + '\'';
    if (i + 1 == terms.size()) out += ":*";
  }
  return out;
}

/// The FROM clause and the WHERE conditions every listing statement shares.
struct Scope {
  std::string from;
  std::string where;
};

Scope listingScope(Dialect dialect, const ListingQuery& query, const SearchPlan& search,
                   const std::optional<std::string>& category_path, FacetFilters facet_filters,
                   Statement& st) {
  const bool pg = dialect == Dialect::kPostgres;
  Scope scope;
  switch (search.mode) {
    case SearchPlan::Mode::kNone:
      scope.from = "products p";
      break;
    case SearchPlan::Mode::kFullText:
      if (pg) {
        const std::string q = st.bind(search.text);
        scope.from = "products p CROSS JOIN to_tsquery('english', " + q + ") AS tq";
        scope.where = " AND p.search @@ tq";
      } else {
        // bm25() is lower-is-better; negated so every score sorts descending.
        scope.from =
            "(SELECT rowid AS id, -bm25(products_fts, 10.0, 4.0, 1.0) AS score FROM products_fts "
            "WHERE products_fts MATCH " +
            st.bind(search.text) + ") s JOIN products p ON p.id = s.id";
      }
      break;
    case SearchPlan::Mode::kTrigram: {
      const std::string q = st.bind(search.text);
      scope.where = " AND " + q + " <% p.title";
      scope.from = "products p";
      break;
    }
  }
  scope.where = std::string(pg ? " WHERE NOT p.archived" : " WHERE p.archived = 0") + scope.where;
  const bool apply = facet_filters == FacetFilters::kApply;
  if (category_path && apply) {
    scope.where += " AND p.category_id IN (SELECT id FROM categories WHERE path LIKE " +
                   st.bind(*category_path + "%") + ")";
  }
  if (!query.brands.empty() && apply) {
    scope.where +=
        pg ? " AND p.brand = ANY(" + st.bind(postgresTextArray(query.brands)) + "::text[])"
           : " AND p.brand IN (SELECT value FROM json_each(" +
                 st.bind(jsonTextArray(query.brands)) + "))";
  }
  if (apply) {
    if (query.price_min) scope.where += " AND p.price >= " + st.bind(*query.price_min);
    if (query.price_max) scope.where += " AND p.price <= " + st.bind(*query.price_max);
  }
  if (query.in_stock_only) scope.where += pg ? " AND p.in_stock" : " AND p.in_stock = 1";
  return scope;
}

std::string scoreExpression(Dialect dialect, const SearchPlan& search, const std::string& q_param) {
  switch (search.mode) {
    case SearchPlan::Mode::kNone:
      return "0.0";
    case SearchPlan::Mode::kFullText:
      return dialect == Dialect::kPostgres ? "ts_rank(p.search, tq)::float8" : "s.score";
    case SearchPlan::Mode::kTrigram:
      return "word_similarity(" + q_param + ", p.title)::float8";
  }
  return "0.0";
}

// sort=rating ranks by a damped (Bayesian) mean, (C*m + sum) / (C + n): each
// product's reviews are topped up with C reviews at the catalog-wide mean m,
// so one 5-star review no longer outranks 4.8 stars from 300 (issue 14).
// C is about the review count at which a product's own mean starts to
// dominate. The displayed rating stays the plain mean.
constexpr std::string_view kDampedRating =
    "((10.0 * (SELECT COALESCE(SUM(r.rating * r.review_count) / "
    "NULLIF(CAST(SUM(r.review_count) AS DOUBLE PRECISION), 0), 0) FROM products r "
    "WHERE r.archived = FALSE) + p.rating * p.review_count) / (10.0 + p.review_count))";

std::string orderBy(Sort sort) {
  switch (sort) {
    case Sort::kRelevance:
      return "score DESC, id DESC";
    case Sort::kNewest:
      return "id DESC";
    case Sort::kPriceAsc:
      return "price ASC, id ASC";
    case Sort::kPriceDesc:
      return "price DESC, id DESC";
    case Sort::kRating:
      return "rating DESC, id DESC";
  }
  return "id DESC";
}

std::string keysetCondition(Sort sort, const KeysetPosition& after, Statement& st) {
  switch (sort) {
    case Sort::kRelevance:
      return "(score, id) < (" + st.bind(after.score) + ", " + st.bind(after.id) + ")";
    case Sort::kNewest:
      return "id < " + st.bind(after.id);
    case Sort::kPriceAsc:
      return "(price, id) > (" + st.bind(after.price) + ", " + st.bind(after.id) + ")";
    case Sort::kPriceDesc:
      return "(price, id) < (" + st.bind(after.price) + ", " + st.bind(after.id) + ")";
    case Sort::kRating:
      return "(rating, id) < (" + st.bind(after.score) + ", " + st.bind(after.id) + ")";
  }
  return "id < " + st.bind(after.id);
}

/// Runs a composed statement, named by its text so each distinct shape is
/// prepared once per connection.
sql::Result run(sql::Session& s, const std::string& text, const Statement& st) {
  const std::string name = "catalog.listing:" + text;
  return s.execute(sql::Query{name, text}, std::span<const sql::Param>(st.params()));
}

// The summaries of the given products, in the order of ids.
std::vector<ProductSummary> summariesOf(sql::Session& s, const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return {};
  std::string list;
  for (const auto id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
  Statement st;
  const bool pg = s.dialect() == Dialect::kPostgres;
  const std::string text =
      "SELECT " + std::string(kSummaryColumns) +
      " FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id " +
      (pg ? "= ANY(" + st.bind("{" + list + "}") + "::bigint[])"
          : "IN (SELECT value FROM json_each(" + st.bind("[" + list + "]") + "))");
  std::unordered_map<std::int64_t, ProductSummary> found;
  for (const auto& row : run(s, text, st)) {
    auto summary = readSummary(row);
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

std::vector<Category> CatalogStore::categories() {
  return db_.read([](sql::Session& s) { return loadCategories(s); });
}

WriteOutcome CatalogStore::createCategory(const std::string& slug, const std::string& name,
                                          std::optional<std::int64_t> parent_id,
                                          Category& created) {
  try {
    return db_.write([&](sql::Session& s) {
      std::string parent_path = "/";
      if (parent_id) {
        const auto parent = s.execute(kCategoryById, {*parent_id});
        if (parent.empty()) return WriteOutcome::kNotFound;
        parent_path = parent[0].getText(0);
      }
      const sql::Param parent_param = parent_id ? sql::Param(*parent_id) : sql::Param(nullptr);
      const std::string now = util::nowRfc3339();
      const auto rows = s.execute(kInsertCategory, {slug, name, parent_param, now});
      created.id = rows[0].getInt64(0);
      created.position = rows[0].getInt64(1);
      created.slug = slug;
      created.name = name;
      created.parent_id = parent_id;
      created.path = parent_path + std::to_string(created.id) + "/";
      s.execute(kSetCategoryPath, {created.id, created.path});
      return WriteOutcome::kDone;
    });
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

ListingPage CatalogStore::list(const ListingQuery& query) {
  return db_.read([&](sql::Session& s) {
    const auto categories = loadCategories(s);
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

std::optional<Product> CatalogStore::product(std::int64_t id) {
  auto p = productAnyState(id);
  if (p && p->archived) return std::nullopt;
  return p;
}

std::optional<Product> CatalogStore::productAnyState(std::int64_t id) {
  return db_.read([&](sql::Session& s) { return loadProduct(s, id); });
}

std::optional<Product> CatalogStore::productBySlug(const std::string& slug) {
  auto p = db_.read([&](sql::Session& s) -> std::optional<Product> {
    const auto rows = s.execute(kProductIdBySlug, {slug});
    if (rows.empty()) return std::nullopt;
    return loadProduct(s, rows[0].getInt64(0));
  });
  if (p && p->archived) return std::nullopt;
  return p;
}

namespace {

constexpr sql::Query kInsertProduct{
    "catalog.insert_product",
    "INSERT INTO products (slug, title, description, brand, category_id, price, currency, "
    "attributes, images, in_stock, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, FALSE, $9, $9) RETURNING id"};
constexpr sql::Query kInsertVariant{
    "catalog.insert_variant",
    "INSERT INTO variants (sku, product_id, attributes, price, stock, position) "
    "VALUES ($1, $2, $3, $4, $5, (SELECT COUNT(*) FROM variants WHERE product_id = $2))"};
constexpr sql::Query kVariantProduct{"catalog.variant_product",
                                     "SELECT product_id FROM variants WHERE sku = $1"};
constexpr sql::Query kUpdateVariant{
    "catalog.update_variant",
    "UPDATE variants SET price = COALESCE($2, price), attributes = COALESCE($3, attributes), "
    "stock = COALESCE($4, stock) WHERE sku = $1"};
// The listing columns derived from variants: lowest price, any stock.
constexpr sql::Query kRefreshDerived{
    "catalog.refresh_derived",
    "UPDATE products SET "
    "price = COALESCE((SELECT MIN(price) FROM variants WHERE product_id = $1), price), "
    "in_stock = EXISTS (SELECT 1 FROM variants WHERE product_id = $1 AND stock > 0), "
    "updated_at = $2 WHERE id = $1"};
constexpr sql::Query kUpdateProduct{
    "catalog.update_product",
    "UPDATE products SET slug = COALESCE($2, slug), title = COALESCE($3, title), "
    "description = COALESCE($4, description), brand = COALESCE($5, brand), "
    "category_id = COALESCE($6, category_id), attributes = COALESCE($7, attributes), "
    "images = COALESCE($8, images), updated_at = $9 WHERE id = $1"};
constexpr sql::Query kSetAllVariantPrices{"catalog.set_all_variant_prices",
                                          "UPDATE variants SET price = $2 WHERE product_id = $1"};
constexpr sql::Query kProductSlug{"catalog.product_slug",
                                  "SELECT slug FROM products WHERE id = $1"};
constexpr sql::Query kArchive{"catalog.archive",
                              "UPDATE products SET archived = TRUE, updated_at = $2 WHERE id = $1"};
constexpr sql::Query kStockAfter{
    "catalog.stock_after",
    "SELECT sku, product_id, stock FROM variants WHERE sku > $1 ORDER BY sku LIMIT $2"};

sql::Param optionalText(const std::optional<std::string>& v) {
  return v ? sql::Param(std::string_view(*v)) : sql::Param(nullptr);
}
sql::Param optionalInt(const std::optional<std::int64_t>& v) {
  return v ? sql::Param(*v) : sql::Param(nullptr);
}

}  // namespace

namespace {
std::string productEventPayload(std::int64_t id, std::string_view slug, std::string_view change) {
  json::Writer payload;
  payload.startObject()
      .member("product_id", id)
      .member("slug", slug)
      .member("change", change)
      .endObject();
  return payload.str();
}
}  // namespace

WriteOutcome CatalogStore::createProduct(const NewProduct& product, Product& created) {
  try {
    const auto id = db_.write([&](sql::Session& s) {
      const std::string now = util::nowRfc3339();
      const auto rows =
          s.execute(kInsertProduct, {product.slug, product.title, product.description,
                                     product.brand, product.category_id, product.currency,
                                     product.attributes_json, product.images_json, now});
      const std::int64_t id = rows[0].getInt64(0);
      for (const auto& v : product.variants) {
        s.execute(kInsertVariant, {v.sku, id, v.attributes_json, v.price, v.stock});
      }
      s.execute(kRefreshDerived, {id, now});
      outbox_.add(s, "product.updated", productEventPayload(id, product.slug, "created"));
      return id;
    });
    outbox_.committed();
    created = *productAnyState(id);
    return WriteOutcome::kDone;
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

WriteOutcome CatalogStore::updateProduct(std::int64_t id, const ProductPatch& patch,
                                         Product& updated, std::string& previous_slug) {
  try {
    const auto outcome = db_.write([&](sql::Session& s) {
      const auto slug = s.execute(kProductSlug, {id});
      if (slug.empty()) return WriteOutcome::kNotFound;
      previous_slug = slug[0].getText(0);
      const std::string now = util::nowRfc3339();
      s.execute(
          kUpdateProduct,
          {id, optionalText(patch.slug), optionalText(patch.title), optionalText(patch.description),
           optionalText(patch.brand), optionalInt(patch.category_id),
           optionalText(patch.attributes_json), optionalText(patch.images_json), now});
      if (patch.price) s.execute(kSetAllVariantPrices, {id, *patch.price});
      for (const auto& v : patch.variants) {
        const auto owner = s.execute(kVariantProduct, {v.sku});
        if (owner.empty()) {
          if (!v.price)
            throw UnknownReference{"variants", "new variant " + v.sku + " needs a price"};
          s.execute(kInsertVariant,
                    {v.sku, id, v.attributes_json.value_or("{}"), *v.price, v.stock.value_or(0)});
        } else if (owner[0].getInt64(0) != id) {
          return WriteOutcome::kConflict;  // the SKU belongs to another product
        } else {
          s.execute(kUpdateVariant, {v.sku, optionalInt(v.price), optionalText(v.attributes_json),
                                     optionalInt(v.stock)});
        }
      }
      s.execute(kRefreshDerived, {id, now});
      outbox_.add(s, "product.updated",
                  productEventPayload(id, patch.slug.value_or(previous_slug), "updated"));
      return WriteOutcome::kDone;
    });
    if (outcome == WriteOutcome::kDone) {
      outbox_.committed();
      updated = *productAnyState(id);
    }
    return outcome;
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

WriteOutcome CatalogStore::updateVariant(std::int64_t id, const ProductPatch::VariantPatch& patch,
                                         Product& updated) {
  const auto outcome = db_.write([&](sql::Session& s) {
    const auto owner = s.execute(kVariantProduct, {patch.sku});
    if (owner.empty() || owner[0].getInt64(0) != id) return WriteOutcome::kNotFound;
    const auto slug = s.execute(kProductSlug, {id});
    if (slug.empty()) return WriteOutcome::kNotFound;
    s.execute(kUpdateVariant, {patch.sku, optionalInt(patch.price),
                               optionalText(patch.attributes_json), optionalInt(patch.stock)});
    s.execute(kRefreshDerived, {id, util::nowRfc3339()});
    outbox_.add(s, "product.updated", productEventPayload(id, slug[0].getText(0), "updated"));
    return WriteOutcome::kDone;
  });
  if (outcome == WriteOutcome::kDone) {
    outbox_.committed();
    updated = *productAnyState(id);
  }
  return outcome;
}

WriteOutcome CatalogStore::archiveProduct(std::int64_t id, std::string& slug) {
  const auto outcome = db_.write([&](sql::Session& s) {
    const auto rows = s.execute(kProductSlug, {id});
    if (rows.empty()) return WriteOutcome::kNotFound;
    slug = rows[0].getText(0);
    s.execute(kArchive, {id, util::nowRfc3339()});
    outbox_.add(s, "product.updated", productEventPayload(id, slug, "archived"));
    return WriteOutcome::kDone;
  });
  if (outcome == WriteOutcome::kDone) outbox_.committed();
  return outcome;
}

namespace {
constexpr sql::Query kSkuInfo{
    "catalog.sku_info",
    "SELECT v.sku, v.product_id, p.title, v.price, p.currency, p.archived FROM variants v "
    "JOIN products p ON p.id = v.product_id WHERE v.sku = $1"};
}  // namespace

std::vector<SkuInfo> CatalogStore::lookup(std::span<const std::string> skus) {
  // One prepared point lookup per SKU in one snapshot: carts hold few lines,
  // and a fixed text is prepared once per connection (an IN list is not).
  return db_.read([&](sql::Session& s) {
    std::vector<SkuInfo> found;
    found.reserve(skus.size());
    for (const auto& sku : skus) {
      const auto rows = s.execute(kSkuInfo, {sku});
      if (rows.empty()) continue;
      const auto& row = rows[0];
      found.push_back(SkuInfo{row.getText(0), row.getInt64(1), row.getText(2), row.getInt64(3),
                              row.getText(4), !row.getBool(5)});
    }
    return found;
  });
}

namespace {
constexpr sql::Query kMirrorRead{
    "catalog.mirror_read",
    "SELECT v.stock, v.product_id, p.slug FROM variants v JOIN products p ON p.id = v.product_id "
    "WHERE v.sku = $1"};
constexpr sql::Query kMirrorWrite{"catalog.mirror_write",
                                  "UPDATE variants SET stock = $2 WHERE sku = $1"};
constexpr sql::Query kVariantCount{"catalog.variant_count", "SELECT COUNT(*) FROM variants"};
}  // namespace

std::optional<StockMirror> CatalogStore::mirrorStock(const std::string& sku,
                                                     std::int64_t available) {
  const std::int64_t shown = std::max<std::int64_t>(available, 0);
  // Shoppers see in stock or not, never the count: only a flip is written,
  // so most checkouts cost the catalog one read and no commit. (The exact
  // figures are the inventory service's: GET /admin/inventory/{sku}.)
  const auto read = [&](sql::Session& s) -> std::optional<StockMirror> {
    const auto rows = s.execute(kMirrorRead, {sku});
    if (rows.empty()) return std::nullopt;
    return StockMirror{rows[0].getInt64(1), rows[0].getText(2),
                       (rows[0].getInt64(0) > 0) != (shown > 0)};
  };
  auto seen = db_.read(read);
  if (!seen || !seen->in_stock_changed) return seen;
  return db_.write([&](sql::Session& s) -> std::optional<StockMirror> {
    auto mirror = read(s);  // again, inside the write: another call may have flipped it
    if (!mirror || !mirror->in_stock_changed) return mirror;
    s.execute(kMirrorWrite, {sku, shown});
    s.execute(kRefreshDerived, {mirror->product_id, util::nowRfc3339()});
    return mirror;
  });
}

std::vector<StockLevel> CatalogStore::stockAfter(const std::string& after_sku, std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    std::vector<StockLevel> page;
    for (const auto& row : s.execute(kStockAfter, {after_sku, static_cast<std::int64_t>(limit)})) {
      page.push_back(StockLevel{row.getText(0), row.getInt64(1), row.getInt64(2)});
    }
    return page;
  });
}

std::int64_t CatalogStore::variantCount() {
  return db_.read([&](sql::Session& s) { return s.execute(kVariantCount)[0].getInt64(0); });
}

namespace {
constexpr sql::Query kReviewsFirst{
    "catalog.reviews_first",
    "SELECT id, product_id, user_id, user_name, rating, title, body, created_at, "
    "verified_purchase FROM reviews WHERE product_id = $1 ORDER BY id DESC LIMIT $2"};
constexpr sql::Query kReviewsBefore{
    "catalog.reviews_before",
    "SELECT id, product_id, user_id, user_name, rating, title, body, created_at, "
    "verified_purchase FROM reviews WHERE product_id = $1 AND id < $3 ORDER BY id DESC LIMIT $2"};
constexpr sql::Query kHasPurchased{
    "catalog.has_purchased", "SELECT 1 FROM purchases WHERE user_id = $1 AND product_id = $2"};
constexpr sql::Query kRecordPurchase{
    "catalog.record_purchase",
    "INSERT INTO purchases (user_id, product_id, order_id, purchased_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (user_id, product_id) DO NOTHING"};
constexpr sql::Query kProductExists{"catalog.product_exists",
                                    "SELECT 1 FROM products WHERE id = $1 AND archived = FALSE"};
constexpr sql::Query kInsertReview{
    "catalog.insert_review",
    "INSERT INTO reviews (product_id, user_id, user_name, rating, title, body, created_at, "
    "verified_purchase) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"};
constexpr sql::Query kReviewAggregate{
    "catalog.review_aggregate",
    "SELECT COUNT(*), COALESCE(SUM(rating), 0) FROM reviews WHERE product_id = $1"};
constexpr sql::Query kSetRating{"catalog.set_rating",
                                "UPDATE products SET rating = $2, review_count = $3 WHERE id = $1"};

Review readReview(const sql::Row& row) {
  Review r;
  r.id = row.getInt64(0);
  r.product_id = row.getInt64(1);
  r.user_id = row.getText(2);
  r.user_name = row.getText(3);
  r.rating = static_cast<int>(row.getInt64(4));
  r.title = row.getText(5);
  r.body = row.getText(6);
  r.created_at = row.getText(7);
  r.verified_purchase = row.getBool(8);
  return r;
}
}  // namespace

std::vector<Review> CatalogStore::reviews(std::int64_t product_id,
                                          std::optional<std::int64_t> before_id,
                                          std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    const auto n = static_cast<std::int64_t>(limit);
    const auto rows = before_id ? s.execute(kReviewsBefore, {product_id, n, *before_id})
                                : s.execute(kReviewsFirst, {product_id, n});
    std::vector<Review> out;
    out.reserve(rows.size());
    for (const auto& row : rows) out.push_back(readReview(row));
    return out;
  });
}

WriteOutcome CatalogStore::addReview(const Review& review, Review& created, bool require_purchase) {
  try {
    const auto outcome = db_.write([&](sql::Session& s) {
      if (s.execute(kProductExists, {review.product_id}).empty()) return WriteOutcome::kNotFound;
      created = review;
      created.verified_purchase =
          !s.execute(kHasPurchased, {review.user_id, review.product_id}).empty();
      if (require_purchase && !created.verified_purchase) return WriteOutcome::kForbidden;
      created.created_at = util::nowRfc3339();
      const auto rows =
          s.execute(kInsertReview, {review.product_id, review.user_id, review.user_name,
                                    static_cast<std::int64_t>(review.rating), review.title,
                                    review.body, created.created_at, created.verified_purchase});
      created.id = rows[0].getInt64(0);
      json::Writer payload;
      payload.startObject()
          .member("review_id", created.id)
          .member("product_id", created.product_id)
          .member("user_id", created.user_id)
          .member("rating", static_cast<std::int64_t>(created.rating))
          .endObject();
      outbox_.add(s, "review.created", payload.str());
      return WriteOutcome::kDone;
    });
    if (outcome == WriteOutcome::kDone) outbox_.committed();
    return outcome;
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

bool CatalogStore::recordPurchasesOnce(const std::string& user_id, const std::string& order_id,
                                       std::span<const std::int64_t> product_ids,
                                       std::string_view consumer, std::string_view event_id) {
  return db_.write([&](sql::Session& s) {
    if (!events::claimEvent(s, consumer, event_id)) return false;
    const std::string now = util::nowRfc3339();
    for (const std::int64_t product_id : product_ids) {
      s.execute(kRecordPurchase, {user_id, product_id, order_id, now});
    }
    return true;
  });
}

bool CatalogStore::refreshRatingOnce(std::int64_t product_id, std::string_view consumer,
                                     std::string_view event_id) {
  return db_.write([&](sql::Session& s) {
    if (!events::claimEvent(s, consumer, event_id)) return false;
    const auto rows = s.execute(kReviewAggregate, {product_id});
    const std::int64_t count = rows[0].getInt64(0);
    const std::int64_t sum = rows[0].getInt64(1);
    const double mean =
        count == 0
            ? 0.0
            : std::round(static_cast<double>(sum) * 100.0 / static_cast<double>(count)) / 100.0;
    s.execute(kSetRating, {product_id, mean, count});
    return true;
  });
}

}  // namespace emporium::catalog
