// One address rule for both ways an address reaches the shop, on both SQL
// backends: saved to the account (POST /api/v1/me/addresses) and typed at
// checkout (shipping_address). The same bad field is refused by both, named
// as each body places it, and nothing is stored or ordered.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

const std::map<std::string, std::string> kValid{
    {"name", "Ada Lovelace"}, {"line1", "1 Analytical St"}, {"line2", "Flat 2"},
    {"city", "London"},       {"region", "Greater London"}, {"postal_code", "N1 9GU"},
    {"country", "GB"}};

std::string addressWith(const std::string& field, const std::string& value) {
  std::string out = "{";
  for (const auto& [k, v] : kValid) {
    if (out.size() > 1) out += ',';
    out += jsonQuote(k) + ':' + jsonQuote(k == field ? value : v);
  }
  return out + '}';
}

enum class Path { kSaved, kInline };

class AddressRuleTest : public ShopTest {};

TEST_P(AddressRuleTest, SavedAndInlineAddressesRefuseTheSameFields) {
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto sku = createProduct("Pen", 300, 100);
  const auto buyer = registerCustomer("addr@example.com");
  const auto cart = send("POST", "/api/v1/carts", "{}");
  ASSERT_EQ(cart.status, 201) << cart.body;
  const std::string cart_id = text(parseJson(cart.body), "id");
  ASSERT_EQ(send("POST", "/api/v1/carts/" + cart_id + "/items",
                 "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}")
                    .status /
                100,
            2);

  const auto attempt = [&](Path path, const std::string& field, const std::string& value, int n) {
    const auto address = addressWith(field, value);
    if (path == Path::kSaved) return send("POST", "/api/v1/me/addresses", address, buyer);
    return send("POST", "/api/v1/orders",
                "{\"cart_id\":" + jsonQuote(cart_id) + ",\"shipping_address\":" + address +
                    R"(,"payment":{"method":"cod"}})",
                buyer, {{"Idempotency-Key", "addr-" + std::to_string(n)}});
  };
  const std::tuple<std::string, std::string> cases[] = {
      {"name", "Ada \u202Egnp.exe"},
      {"line1", "<script>alert(1)</script>"},
      {"line2", "<img src=x onerror=alert(1)>"},
      {"city", "Lon\u202Edon"},
      {"region", "Greater\tLondon"},
      {"postal_code", "<b>N1</b>"},
      {"country", "Germany"},
      {"name", std::string(201, 'a')},
      {"city", "\u200B"},
  };
  int n = 0;
  for (const auto path : {Path::kSaved, Path::kInline}) {
    const std::string prefix = path == Path::kSaved ? "" : "shipping_address.";
    for (const auto& [field, value] : cases) {
      const auto r = attempt(path, field, value, ++n);
      EXPECT_TRUE(isProblem(r, 422)) << prefix << field << ": " << r.body;
      EXPECT_EQ(errorFields(r), Fields{prefix + field}) << r.body;
    }
    // And the same valid address passes both ways.
    const auto ok = attempt(path, "line2", "Flat 3", ++n);
    EXPECT_EQ(ok.status, 201) << ok.body;
  }
  EXPECT_EQ(parseJson(get("/api/v1/me/addresses", buyer).body)["items"].Size(), 1U);
  EXPECT_EQ(parseJson(get("/api/v1/orders", buyer).body)["items"].Size(), 1U);
}

INSTANTIATE_TEST_SUITE_P(Backends, AddressRuleTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);

}  // namespace
}  // namespace emporium::test
