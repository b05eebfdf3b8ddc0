// Verified purchases on reviews, end to end on both SQL backends (issue 14:
// reviews were accepted from anyone). The catalog learns purchases from
// order.confirmed events, never from the orders database.

#include <gtest/gtest.h>

#include <string>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;

const std::string kReview = R"({"rating":5,"title":"Bright","body":"Lights the whole room."})";

class VerifiedReviewsTest : public ShopTest {
 protected:
  // A cash-on-delivery order of one unit (confirmed at once).
  void buy(const std::string& token, const std::string& sku) {
    const std::string cart = text(parseJson(get("/api/v1/me/cart", token).body), "id");
    const auto added = send("POST", "/api/v1/carts/" + cart + "/items",
                            "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}", token);
    ASSERT_TRUE(added.status == 200 || added.status == 201) << added.body;
    const auto order = send(
        "POST", "/api/v1/orders",
        "{\"cart_id\":" + jsonQuote(cart) +
            R"(,"shipping_address":{"name":"Ada Lovelace","line1":"1 Analytical St","city":"London","postal_code":"N1 9GU","country":"GB"},"payment":{"method":"cod"}})",
        token, {{"Idempotency-Key", "verified-" + sku}});
    ASSERT_EQ(order.status, 201) << order.body;
  }
};

TEST_P(VerifiedReviewsTest, OnlyBuyersReviewWhenTheShopRequiresIt) {
  ASSERT_NE(startServer({{"EMPORIUM_CATALOG_REVIEWS_REQUIRE_PURCHASE", "true"}}), 0);
  ASSERT_NO_FATAL_FAILURE(signInAdmin());
  const auto sku = createProduct("Verified Lamp", 1500, 10);
  const std::string reviews = "/api/v1/products/verified-lamp/reviews";
  const auto buyer = registerCustomer("buyer@example.com", "Bea Buyer");
  const auto stranger = registerCustomer("stranger@example.com", "Stan Stranger");

  EXPECT_TRUE(isProblem(send("POST", reviews, kReview, stranger), 403));
  ASSERT_NO_FATAL_FAILURE(buy(buyer, sku));
  // The purchase reaches the catalog through the order.confirmed event.
  HttpReply posted;
  ASSERT_TRUE(eventually(
      [&] {
        posted = send("POST", reviews, kReview, buyer);
        return posted.status != 403;
      },
      20s));
  ASSERT_EQ(posted.status, 201) << posted.body;
  const auto review = parseJson(posted.body);
  ASSERT_TRUE(review.HasMember("verified_purchase"));
  EXPECT_TRUE(review["verified_purchase"].GetBool());
  const auto listed = parseJson(get(reviews).body);
  ASSERT_EQ(listed["items"].Size(), 1U);
  EXPECT_TRUE(listed["items"][0]["verified_purchase"].GetBool());
  // Buying does not help another product.
  createProduct("Other Lamp", 900, 10);
  EXPECT_TRUE(isProblem(send("POST", "/api/v1/products/other-lamp/reviews", kReview, buyer), 403));
  EXPECT_TRUE(isProblem(send("POST", reviews, kReview, stranger), 403));
}

TEST_P(VerifiedReviewsTest, ByDefaultAnyoneReviewsAndTheReviewSaysItIsUnverified) {
  ASSERT_NE(startServer(), 0);
  ASSERT_NO_FATAL_FAILURE(signInAdmin());
  createProduct("Open Lamp", 1500, 10);
  const auto stranger = registerCustomer("stranger@example.com", "Stan Stranger");
  const auto posted = send("POST", "/api/v1/products/open-lamp/reviews", kReview, stranger);
  ASSERT_EQ(posted.status, 201) << posted.body;
  const auto review = parseJson(posted.body);
  ASSERT_TRUE(review.HasMember("verified_purchase"));
  EXPECT_FALSE(review["verified_purchase"].GetBool());
}

INSTANTIATE_TEST_SUITE_P(Backends, VerifiedReviewsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, VerifiedReviewsTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
