// Gift cards at checkout as a guesser and a buyer meet them, on both SQL
// backends, against the real binary: wrong codes are capped per account and
// per address (a right code is refused too once the cap is reached, and
// EMPORIUM_RATE_LIMITS=off lifts it), every code that does not pay here gets
// one answer, and a code the shop generates is long, unambiguous and pays.

#include <gtest/gtest.h>

#include <string>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

const std::string kShipTo =
    R"({"name":"Ada Lovelace","line1":"1 Analytical St","city":"London","postal_code":"N1 9GU","country":"GB"})";

class GiftCardsApiTest : public ShopTest {
 protected:
  // A checkout of one unit paid with a gift card, from a client address
  // (X-Forwarded-For: the shop under test trusts it).
  HttpReply payWithCode(const std::string& customer, const std::string& key, const std::string& sku,
                        const std::string& code, const std::string& address = "198.51.100.1") {
    const Headers from{{"X-Forwarded-For", address}};
    const auto cart = send("POST", "/api/v1/carts", "{}", {}, from);
    EXPECT_EQ(cart.status, 201) << cart.body;
    const std::string cart_id = text(parseJson(cart.body), "id");
    const auto added = send("POST", "/api/v1/carts/" + cart_id + "/items",
                            "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}", {}, from);
    EXPECT_TRUE(added.status == 200 || added.status == 201) << added.body;
    Headers headers = from;
    headers["Idempotency-Key"] = key;
    return send("POST", "/api/v1/orders",
                "{\"cart_id\":" + jsonQuote(cart_id) + ",\"shipping_address\":" + kShipTo +
                    R"(,"payment":{"method":"gift_card","code":)" + jsonQuote(code) + "}}",
                customer, headers);
  }

  std::string issue(const std::string& body) {
    const auto r = send("POST", "/api/v1/admin/gift-cards", body, admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? text(parseJson(r.body), "code") : std::string();
  }

  std::int64_t balance(const std::string& code) {
    const auto r = get("/api/v1/admin/gift-cards/" + code, admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? amount(parseJson(r.body), "balance") : -1;
  }
};

TEST_P(GiftCardsApiTest, AfterFiveWrongCodesEvenTheRightOneIsRefusedForThatAccountOnly) {
  ASSERT_NE(
      startServer({{"EMPORIUM_RATE_LIMITS", "on"}, {"EMPORIUM_HTTP_TRUST_FORWARDED_FOR", "true"}}),
      0);
  signInAdmin();
  const auto sku = createProduct("Tea Tin", 1200, 20);
  const auto code = issue(R"({"balance":10000})");
  ASSERT_FALSE(code.empty());
  const auto ada = registerCustomer("ada@example.com", "Ada");
  const auto bob = registerCustomer("bob@example.com", "Bob");

  for (int i = 0; i < 5; ++i) {
    const auto wrong = payWithCode(ada, "ada-wrong-" + std::to_string(i), sku,
                                   "WRNG-CODE-" + std::to_string(1000 + i));
    EXPECT_TRUE(isProblem(wrong, 422)) << "wrong code " << i + 1;
    EXPECT_EQ(errorFields(wrong), Fields{"payment.code"});
  }
  const auto held = payWithCode(ada, "ada-right", sku, code);
  EXPECT_TRUE(isProblem(held, 429)) << held.body;
  const auto retry = held.header("retry-after");
  ASSERT_FALSE(retry.empty());
  EXPECT_GT(std::stoi(retry), 3000);
  EXPECT_LE(std::stoi(retry), 3600);
  EXPECT_EQ(balance(code), 10000);
  // Nothing was held for the refused checkout, and it is not Ada's order.
  const auto mine = get("/api/v1/orders", ada);
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(parseJson(mine.body)["items"].Size(), 0U);

  // Another account from another address pays with the generated code.
  const auto paid = payWithCode(bob, "bob-right", sku, code, "203.0.113.9");
  ASSERT_EQ(paid.status, 201) << paid.body;
  EXPECT_EQ(text(parseJson(paid.body)["payment"], "status"), "captured");
  EXPECT_EQ(balance(code), 10000 - amount(parseJson(paid.body)["totals"], "total"));
  // Ada's cap is per account: at another address she is still held back.
  EXPECT_TRUE(isProblem(payWithCode(ada, "ada-elsewhere", sku, code, "203.0.113.10"), 429));
}

TEST_P(GiftCardsApiTest, UnknownAndUnusableCodesAnswerAlikeAndLimitsOffLiftTheCap) {
  ASSERT_NE(startServer(), 0);  // EMPORIUM_RATE_LIMITS=off
  signInAdmin();
  const auto sku = createProduct("Mug", 900, 20);
  ASSERT_EQ(issue(R"({"code":"EURO-0001","balance":{"amount":5000,"currency":"EUR"}})"),
            "EURO-0001");
  const auto usd = issue(R"({"code":"Shop-Gift-7","balance":5000})");
  EXPECT_EQ(usd, "SHOP-GIFT-7");  // an admin-given code still works
  const auto buyer = registerCustomer("guess@example.com");

  const auto unknown = payWithCode(buyer, "u-1", sku, "NONE-0001");
  const auto elsewhere = payWithCode(buyer, "e-1", sku, "EURO-0001");
  ASSERT_TRUE(isProblem(unknown, 422)) << unknown.body;
  ASSERT_TRUE(isProblem(elsewhere, 422)) << elsewhere.body;
  const auto a = parseJson(unknown.body);
  const auto b = parseJson(elsewhere.body);
  for (const char* member : {"type", "title", "detail"}) {
    EXPECT_EQ(text(a, member), text(b, member)) << member;
  }
  EXPECT_EQ(integer(a, "status"), integer(b, "status"));
  EXPECT_EQ(errorFields(unknown), errorFields(elsewhere));
  ASSERT_TRUE(a["errors"].IsArray() && b["errors"].IsArray());
  EXPECT_EQ(text(a["errors"][0], "message"), text(b["errors"][0], "message"));

  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(isProblem(payWithCode(buyer, "w-" + std::to_string(i), sku, "NONE-1000"), 422));
  }
  const auto paid = payWithCode(buyer, "right", sku, usd);
  EXPECT_EQ(paid.status, 201) << paid.body;
}

TEST_P(GiftCardsApiTest, AGeneratedCodeIsTwentyUnambiguousSymbols) {
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto first = issue(R"({"balance":2500})");
  const auto second = issue(R"({"balance":{"amount":2500,"currency":"USD"}})");
  EXPECT_NE(first, second);
  for (const auto& code : {first, second}) {
    ASSERT_EQ(code.size(), 24U) << code;
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (i % 5 == 4) {
        EXPECT_EQ(code[i], '-') << code;
      } else {
        EXPECT_NE(std::string_view("23456789ABCDEFGHJKLMNPQRSTUVWXYZ").find(code[i]),
                  std::string_view::npos)
            << code;
      }
    }
    EXPECT_EQ(balance(code), 2500);
  }
  // Without a balance it is still refused, naming the field.
  const auto r = send("POST", "/api/v1/admin/gift-cards", "{}", admin_);
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"balance"});
}

INSTANTIATE_TEST_SUITE_P(Backends, GiftCardsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, GiftCardsApiTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
