#include "services/catalog/storage/listing_sql.hpp"

#include <span>

namespace emporium::catalog::listing_sql {
namespace {

using sql::Dialect;

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

}  // namespace

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

sql::Result run(sql::Session& s, const std::string& text, const Statement& st) {
  const std::string name = "catalog.listing:" + text;
  return s.execute(sql::Query{name, text}, std::span<const sql::Param>(st.params()));
}

}  // namespace emporium::catalog::listing_sql
