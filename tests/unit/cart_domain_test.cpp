#include <gtest/gtest.h>

#include <set>
#include <string>

#include "services/cart/domain/cart.hpp"

namespace emporium::cart {
namespace {

TEST(CartId, IsPrefixedBase32OfOneHundredTwentyEightRandomBits) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = newCartId();
    EXPECT_EQ(id.size(), 5U + 26U) << id;
    EXPECT_TRUE(id.starts_with("cart_")) << id;
    EXPECT_TRUE(isCartId(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);
}

TEST(CartId, RefusesAnythingElse) {
  const std::string valid = newCartId();
  EXPECT_FALSE(isCartId(""));
  EXPECT_FALSE(isCartId("cart_"));
  EXPECT_FALSE(isCartId(valid.substr(0, valid.size() - 1)));
  EXPECT_FALSE(isCartId(valid + "a"));
  EXPECT_FALSE(isCartId("cort_" + valid.substr(5)));
  EXPECT_FALSE(isCartId("cart_" + std::string(26, 'A')));  // lowercase only
  EXPECT_FALSE(isCartId("cart_" + std::string(26, '1')));  // not in the alphabet
  EXPECT_FALSE(isCartId("cart_" + std::string(25, 'a') + "\xff"));
  EXPECT_TRUE(isCartId("cart_" + std::string(26, 'a')));
}

}  // namespace
}  // namespace emporium::cart
