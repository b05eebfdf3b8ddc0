// Checkout's pricing unit over fake catalog and users: what the cart's lines
// cost at live prices, where they ship, and each reason to refuse before an
// order exists (nothing stored, so nothing to undo).

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "services/orders/checkout/pricing.hpp"
#include "services/orders/http/problems.hpp"
#include "support/fakes/fake_catalog.hpp"
#include "support/fakes/fake_users.hpp"

namespace emporium::orders::checkout {
namespace {

const ShippingAddress kHome{"Ada L",      "1 Main St", std::nullopt, "Berlin",
                            std::nullopt, "10115",     "DE"};

class CheckoutPricing : public ::testing::Test {
 protected:
  CheckoutPricing() {
    user_ = users_.addUser("ada@example.com", "Ada");
    rules_.flat_shipping = 499;
    rules_.free_shipping_from = 0;
  }

  Pricer pricer() {
    return Pricer(
        catalog_,
        [this](const std::string& user_id, const std::string& address_id) {
          return users_.address(user_id, address_id);
        },
        rules_);
  }

  CheckoutRequest request() const {
    CheckoutRequest r;
    r.user_id = user_;
    r.cart_id = "cart_1";
    r.shipping_address = kHome;
    return r;
  }

  emporium::test::FakeCatalog catalog_;
  emporium::test::FakeUsers users_;
  PricingRules rules_;
  std::string user_;
};

TEST_F(CheckoutPricing, PricesTheCartAtLivePricesInCartOrder) {
  catalog_.add("B-2", 250);
  catalog_.add("A-1", 1000);
  const std::vector<cart::CartLine> lines{{"B-2", 2}, {"A-1", 1}};
  const auto priced = pricer().price(request(), lines);
  ASSERT_TRUE(priced) << priced.error().kind;
  EXPECT_EQ(priced.value().currency, "USD");
  ASSERT_EQ(priced.value().lines.size(), 2U);
  EXPECT_EQ(priced.value().lines[0].sku, "B-2");
  EXPECT_EQ(priced.value().lines[0].title, "Product B-2");
  EXPECT_EQ(priced.value().lines[0].line_total, 500);
  EXPECT_EQ(priced.value().lines[1].sku, "A-1");
  EXPECT_EQ(priced.value().totals.subtotal, 1500);
  EXPECT_EQ(priced.value().totals.shipping, 499);
  EXPECT_EQ(priced.value().totals.total, 1999);
  EXPECT_EQ(priced.value().shipping_address.city, "Berlin");
}

// Unknown and archived SKUs together, named in the order the cart holds
// them (the order the problem has always listed them in: its bytes are
// replayed for the Idempotency-Key).
TEST_F(CheckoutPricing, UnavailableSkusAreListedInCartOrder) {
  catalog_.add("A-1", 1000);
  catalog_.add("C-3", 1000, /*purchasable=*/false);
  const std::vector<cart::CartLine> lines{{"Z-9", 1}, {"A-1", 1}, {"C-3", 1}};
  const auto priced = pricer().price(request(), lines);
  ASSERT_FALSE(priced);
  EXPECT_EQ(priced.error().kind, CheckoutRefusal::kUnavailableItems);
  EXPECT_EQ(priced.error().skus, (std::vector<std::string>{"Z-9", "C-3"}));
  const auto problem = toProblem(priced.error());
  EXPECT_EQ(problem.status(), 409);
  EXPECT_EQ(problem.slug(), "items-unavailable");
  EXPECT_EQ(problem.detail(),
            "these items are no longer sold: Z-9, C-3; remove them from the cart");
  EXPECT_EQ(problem.extensionMembers(), R"("skus":["Z-9","C-3"])");
}

TEST_F(CheckoutPricing, MixedCurrenciesAreRefused) {
  catalog_.add("A-1", 1000);
  catalog_.put(catalog::SkuInfo{"E-1", 8, "Euro lamp", 900, "EUR", true});
  const std::vector<cart::CartLine> lines{{"A-1", 1}, {"E-1", 1}};
  const auto priced = pricer().price(request(), lines);
  ASSERT_FALSE(priced);
  EXPECT_EQ(priced.error().kind, CheckoutRefusal::kMixedCurrency);
  const auto problem = toProblem(priced.error());
  EXPECT_EQ(problem.status(), 422);
  ASSERT_EQ(problem.errors().size(), 1U);
  EXPECT_EQ(problem.errors()[0].field, "cart_id");
  EXPECT_EQ(problem.errors()[0].message,
            "the cart mixes currencies; check out each currency separately");
}

// A saved address is the user's own: another user's id is as unknown as a
// made-up one, and the refusal names address_id.
TEST_F(CheckoutPricing, UnknownAddressNamesAddressId) {
  catalog_.add("A-1", 1000);
  const std::vector<cart::CartLine> lines{{"A-1", 1}};
  auto mine = request();
  mine.shipping_address.reset();
  mine.address_id = users_.addAddress(user_, kHome);
  const auto priced = pricer().price(mine, lines);
  ASSERT_TRUE(priced);
  EXPECT_EQ(priced.value().shipping_address.line1, "1 Main St");

  const auto other = users_.addUser("bob@example.com", "Bob");
  auto theirs = mine;
  theirs.address_id = users_.addAddress(other, kHome);
  for (const auto& id : {*theirs.address_id, std::string("adr_unknown")}) {
    theirs.address_id = id;
    const auto refused = pricer().price(theirs, lines);
    ASSERT_FALSE(refused) << id;
    EXPECT_EQ(refused.error().kind, CheckoutRefusal::kNoSuchAddress);
    const auto problem = toProblem(refused.error());
    EXPECT_EQ(problem.status(), 422);
    ASSERT_EQ(problem.errors().size(), 1U);
    EXPECT_EQ(problem.errors()[0].field, "address_id");
    EXPECT_EQ(problem.errors()[0].message, "no such address");
  }
}

TEST_F(CheckoutPricing, TotalOverflowIsRefused) {
  catalog_.add("A-1", std::numeric_limits<std::int64_t>::max() / 2 + 1);
  const std::vector<cart::CartLine> lines{{"A-1", 2}};
  const auto priced = pricer().price(request(), lines);
  ASSERT_FALSE(priced);
  EXPECT_EQ(priced.error().kind, CheckoutRefusal::kTooLarge);
  const auto problem = toProblem(priced.error());
  ASSERT_EQ(problem.errors().size(), 1U);
  EXPECT_EQ(problem.errors()[0].field, "cart_id");
  EXPECT_EQ(problem.errors()[0].message, "the order total is too large");
}

TEST_F(CheckoutPricing, AnEmptyCartIsRefused) {
  const auto priced = pricer().price(request(), {});
  ASSERT_FALSE(priced);
  EXPECT_EQ(priced.error().kind, CheckoutRefusal::kEmptyCart);
  EXPECT_EQ(toProblem(priced.error()).errors()[0].message, "the cart is empty");
}

}  // namespace
}  // namespace emporium::orders::checkout
