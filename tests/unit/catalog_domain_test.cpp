// The catalog's pure logic: search words, typo distance, keyset positions,
// cache keys and reviewer names.

#include <gtest/gtest.h>

#include "services/catalog/catalog_module.hpp"
#include "services/catalog/domain/listing.hpp"

namespace emporium::catalog {
namespace {

TEST(SearchTerms, SplitsOnAnythingButLettersAndDigitsAndLowerCases) {
  EXPECT_EQ(searchTerms("Sony WH-1000XM5 headphones!"),
            (std::vector<std::string>{"sony", "wh", "1000xm5", "headphones"}));
}

TEST(SearchTerms, DropsSearchSyntaxAndDuplicates) {
  EXPECT_EQ(searchTerms("\"a\" OR b* NEAR(c) a:1 'x'; --"),
            (std::vector<std::string>{"a", "or", "b", "near", "c", "1", "x"}));
  EXPECT_TRUE(searchTerms("  !!! ").empty());
  EXPECT_TRUE(searchTerms("").empty());
}

TEST(SearchTerms, KeepsUtf8WordsWholeAndBoundsCountAndLength) {
  // Only ASCII is lower-cased here; the search engines fold the rest themselves.
  EXPECT_EQ(searchTerms("café Über"), (std::vector<std::string>{"café", "Über"}));
  const auto many = searchTerms("a b c d e f g h i j k l");
  EXPECT_EQ(many.size(), kMaxSearchTerms);
  // 39 ASCII bytes then a two-byte character: cut before it, never inside it.
  const std::string long_word = std::string(39, 'x') + "é" + "yyyy";
  const auto cut = searchTerms(long_word);
  ASSERT_EQ(cut.size(), 1U);
  EXPECT_EQ(cut[0], std::string(39, 'x'));
}

TEST(StemAwareDistance, ComparesATypoAgainstAStemmedTerm) {
  EXPECT_EQ(stemAwareDistance("headphones", "headphon"), 0U);
  EXPECT_EQ(stemAwareDistance("hedphones", "headphon"), 1U);
  EXPECT_EQ(stemAwareDistance("keybaord", "keyboard"), 2U);
  EXPECT_EQ(stemAwareDistance("lamp", "lamp"), 0U);
  EXPECT_GE(stemAwareDistance("lamp", "table"), 3U);
}

TEST(AllowedTypos, NoneForShortWords) {
  EXPECT_EQ(allowedTypos("tv"), 0U);
  EXPECT_EQ(allowedTypos("lamp"), 1U);
  EXPECT_EQ(allowedTypos("headphones"), 2U);
}

TEST(KeysetPosition, RoundTripsExactlyAndIsBoundToItsSort) {
  KeysetPosition p;
  p.score = 0.1 + 0.2;  // not representable in short decimal form
  p.price = 1999;
  p.id = 42;
  p.fuzzy = true;
  const auto text = encodePosition(Sort::kRelevance, p);
  const auto back = decodePosition(Sort::kRelevance, text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->score, p.score);  // bit-identical: the keyset compares with =
  EXPECT_EQ(back->price, 1999);
  EXPECT_EQ(back->id, 42);
  EXPECT_TRUE(back->fuzzy);
  EXPECT_FALSE(decodePosition(Sort::kNewest, text));
}

TEST(KeysetPosition, RefusesMalformedText) {
  for (const char* bad :
       {"", "newest", "newest|1|2|3", "newest|x|2|3|0", "newest|1|2|3|2", "newest|nan|2|3|0",
        "newest|inf|2|3|0", "newest|1|-2|3|0", "newest|1|2|-3|0", "newest|1|2|3|0|9"}) {
    EXPECT_FALSE(decodePosition(Sort::kNewest, bad)) << bad;
  }
}

TEST(ListingQuery, CacheKeyTellsApartEveryField) {
  ListingQuery base;
  const auto key = base.cacheKey();
  auto differs = [&](auto change) {
    ListingQuery q = base;
    change(q);
    return q.cacheKey() != key;
  };
  EXPECT_TRUE(differs([](ListingQuery& q) { q.terms = {"lamp"}; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.category = "home"; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.brands = {"Acme"}; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.price_min = 0; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.price_max = 0; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.in_stock_only = true; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.sort = Sort::kRating; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.limit = 21; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.after = KeysetPosition{}; }));
  EXPECT_TRUE(differs([](ListingQuery& q) { q.with_facets = false; }));
  // Brand names cannot run into each other: {"a&b"} is not {"a", "b"}.
  ListingQuery one;
  one.brands = {"a,b"};
  ListingQuery two;
  two.brands = {"a", "b"};
  EXPECT_NE(one.cacheKey(), two.cacheKey());
}

TEST(ReviewerDisplayName, ShowsFirstNameAndLastInitial) {
  EXPECT_EQ(reviewerDisplayName("Alex Parker"), "Alex P.");
  EXPECT_EQ(reviewerDisplayName("  Mary  Jane   Watson "), "Mary W.");
  EXPECT_EQ(reviewerDisplayName("Cher"), "Cher");
  EXPECT_EQ(reviewerDisplayName("Zoë Ødegaard"), "Zoë Ø.");
  EXPECT_EQ(reviewerDisplayName("   "), "Customer");
}

}  // namespace
}  // namespace emporium::catalog
