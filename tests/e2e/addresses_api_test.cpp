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

class AddressRuleTest : public ShopTest {
 protected:
  /// A new guest cart holding one of `sku`; empty (after a failure) if refused.
  std::string cartWith(const std::string& sku) {
    const auto cart = send("POST", "/api/v1/carts", "{}");
    EXPECT_EQ(cart.status, 201) << cart.body;
    if (cart.status != 201) return {};
    const std::string id = text(parseJson(cart.body), "id");
    const auto item = send("POST", "/api/v1/carts/" + id + "/items",
                           "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}");
    EXPECT_EQ(item.status / 100, 2) << item.body;
    return item.status / 100 == 2 ? id : std::string();
  }
};

TEST_P(AddressRuleTest, SavedAndInlineAddressesRefuseTheSameFields) {
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto sku = createProduct("Pen", 300, 100);
  const auto buyer = registerCustomer("addr@example.com");
  const std::string cart_id = cartWith(sku);
  ASSERT_FALSE(cart_id.empty());

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

// Checkout by address_id ships to the buyer's saved address as it was saved;
// an id that is not the buyer's (another user's, or none) is a 422 naming
// address_id, and nothing is ordered.
TEST_P(AddressRuleTest, CheckoutByASavedAddressIdTakesOnlyTheBuyersOwn) {
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto sku = createProduct("Pencil", 200, 100);
  const auto buyer = registerCustomer("saved@example.com");
  const auto other = registerCustomer("other@example.com");
  const auto saved = send("POST", "/api/v1/me/addresses", addressWith("line2", "Flat 9"), buyer);
  ASSERT_EQ(saved.status, 201) << saved.body;
  const std::string own_id = text(parseJson(saved.body), "id");
  const auto others = send("POST", "/api/v1/me/addresses", addressWith("city", "Paris"), other);
  ASSERT_EQ(others.status, 201) << others.body;
  const std::string others_id = text(parseJson(others.body), "id");

  const std::string cart_id = cartWith(sku);
  ASSERT_FALSE(cart_id.empty());
  int n = 0;
  const auto checkout = [&](const std::string& address_id) {
    return send("POST", "/api/v1/orders",
                "{\"cart_id\":" + jsonQuote(cart_id) + ",\"address_id\":" + jsonQuote(address_id) +
                    R"(,"payment":{"method":"cod"}})",
                buyer, {{"Idempotency-Key", "saved-" + std::to_string(++n)}});
  };
  for (const std::string& id : {others_id, std::string("adr_none")}) {
    const auto refused = checkout(id);
    EXPECT_TRUE(isProblem(refused, 422)) << id << ": " << refused.body;
    EXPECT_EQ(errorFields(refused), Fields{"address_id"}) << refused.body;
  }
  EXPECT_EQ(parseJson(get("/api/v1/orders", buyer).body)["items"].Size(), 0U);

  const auto placed = checkout(own_id);
  ASSERT_EQ(placed.status, 201) << placed.body;
  const auto order = parseJson(placed.body);
  ASSERT_TRUE(order.HasMember("shipping_address")) << placed.body;
  const auto& shipped = order["shipping_address"];
  for (const auto& [field, value] : kValid) {
    const std::string expected = field == "line2" ? "Flat 9" : value;
    EXPECT_EQ(text(shipped, field.c_str()), expected) << field;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AddressRuleTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, AddressRuleTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
