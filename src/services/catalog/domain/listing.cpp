#include "services/catalog/domain/listing.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace emporium::catalog {
namespace {

constexpr std::array<std::pair<Sort, std::string_view>, 5> kSortNames = {{
    {Sort::kRelevance, "relevance"},
    {Sort::kNewest, "newest"},
    {Sort::kPriceAsc, "price_asc"},
    {Sort::kPriceDesc, "price_desc"},
    {Sort::kRating, "rating"},
}};

bool isWordByte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

template <class T>
bool parseWhole(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(separator, start);
    parts.push_back(
        text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

// After a cut at a byte limit: drops a multi-byte UTF-8 character whose
// tail did not fit, so the term stays valid UTF-8.
void dropPartialCharacter(std::string& term) {
  std::size_t lead = term.size();
  while (lead > 0 && (static_cast<unsigned char>(term[lead - 1]) & 0xC0) == 0x80) --lead;
  if (lead == 0) return;
  const auto first = static_cast<unsigned char>(term[lead - 1]);
  if (first < 0xC0) return;  // ASCII: nothing partial
  const std::size_t expected = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2;
  if (term.size() - (lead - 1) < expected) term.resize(lead - 1);
}

}  // namespace

std::string_view sortName(Sort sort) {
  for (const auto& [value, name] : kSortNames) {
    if (value == sort) return name;
  }
  return "newest";
}

std::optional<Sort> parseSort(std::string_view text) {
  for (const auto& [value, name] : kSortNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

// "<sort>|<score>|<price>|<id>|<fuzzy>". The score travels as %.17g so the
// double read back is bit-identical to the one the database returned, which
// the keyset comparison needs.
std::string encodePosition(Sort sort, const KeysetPosition& position) {
  std::array<char, 32> score{};
  std::snprintf(score.data(), score.size(), "%.17g", position.score);
  std::string out(sortName(sort));
  out.append("|").append(score.data());
  out.append("|").append(std::to_string(position.price));
  out.append("|").append(std::to_string(position.id));
  out.append(position.fuzzy ? "|1" : "|0");
  return out;
}

std::optional<KeysetPosition> decodePosition(Sort sort, std::string_view text) {
  const auto parts = split(text, '|');
  if (parts.size() != 5 || parts[0] != sortName(sort)) return std::nullopt;
  KeysetPosition position;
  // from_chars for double is in libstdc++ 11+; strtod would accept "nan" and
  // hex forms we never write.
  if (!parseWhole(parts[1], position.score) || !std::isfinite(position.score)) return std::nullopt;
  if (!parseWhole(parts[2], position.price) || !parseWhole(parts[3], position.id)) {
    return std::nullopt;
  }
  if (parts[4] != "0" && parts[4] != "1") return std::nullopt;
  position.fuzzy = parts[4] == "1";
  if (position.id < 0 || position.price < 0) return std::nullopt;
  return position;
}

std::string ListingQuery::cacheKey() const {
  std::string key;
  key.reserve(128);
  key.append("q=");
  for (const auto& term : terms) key.append(term).append(" ");
  key.append("&c=").append(category.value_or(""));
  key.append("&b=");
  for (const auto& brand : brands)
    key.append(std::to_string(brand.size())).append(":").append(brand);
  key.append("&min=").append(price_min ? std::to_string(*price_min) : "");
  key.append("&max=").append(price_max ? std::to_string(*price_max) : "");
  key.append(in_stock_only ? "&s=1" : "&s=0");
  key.append("&o=").append(sortName(sort));
  key.append("&l=").append(std::to_string(limit));
  key.append("&a=").append(after ? encodePosition(sort, *after) : "");
  key.append(with_facets ? "&f=1" : "&f=0");
  return key;
}

const std::vector<std::int64_t>& priceBucketEdges() {
  static const std::vector<std::int64_t> kEdges = {0, 1000, 2500, 5000, 10000, 25000, 50000};
  return kEdges;
}

std::vector<std::string> searchTerms(std::string_view query) {
  std::vector<std::string> terms;
  std::size_t i = 0;
  while (i < query.size() && terms.size() < kMaxSearchTerms) {
    while (i < query.size() && !isWordByte(static_cast<unsigned char>(query[i]))) ++i;
    std::string term;
    bool cut = false;
    while (i < query.size() && isWordByte(static_cast<unsigned char>(query[i]))) {
      const char c = query[i++];
      if (term.size() < kMaxTermBytes) {
        term.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
      } else {
        cut = true;
      }
    }
    if (cut) dropPartialCharacter(term);
    if (!term.empty() && std::find(terms.begin(), terms.end(), term) == terms.end()) {
      terms.push_back(std::move(term));
    }
  }
  return terms;
}

std::size_t stemAwareDistance(std::string_view word, std::string_view term) {
  // Classic Levenshtein rows over term; after each prefix of word long
  // enough, the last cell is the distance of that prefix to term.
  std::vector<std::size_t> previous(term.size() + 1);
  std::vector<std::size_t> current(term.size() + 1);
  for (std::size_t j = 0; j <= term.size(); ++j) previous[j] = j;
  std::size_t best = previous[term.size()] + word.size();  // word fully deleted is the worst
  if (term.size() <= 1) best = std::min(best, previous[term.size()]);
  for (std::size_t i = 1; i <= word.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= term.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (word[i - 1] == term[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    if (i + 1 >= term.size()) best = std::min(best, current[term.size()]);
    std::swap(previous, current);
  }
  return best;
}

std::size_t allowedTypos(std::string_view word) {
  if (word.size() < 4) return 0;
  if (word.size() < 8) return 1;
  return 2;
}

}  // namespace emporium::catalog
