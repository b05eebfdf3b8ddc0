// The payment sandbox as an outsider meets it, on both SQL backends, against
// the real binary: it is never on the shop's port (clients find it from
// GET /api/v1/payments/config), its charge, refund and control routes need the
// sandbox secret, tokenizing is limited per address, `--target=payment-sandbox`
// serves it alone, and a card token pays for the customer who first used it.

#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;

const std::string kAddress =
    R"({"name":"Ada Lovelace","line1":"1 Analytical St","city":"London","postal_code":"N1 9GU","country":"GB"})";

class PaymentsApiTest : public ShopTest {
 protected:
  std::string cartWith(const std::string& sku, std::int64_t quantity) {
    const auto cart = send("POST", "/api/v1/carts", "{}");
    EXPECT_EQ(cart.status, 201) << cart.body;
    const std::string id = text(parseJson(cart.body), "id");
    const auto r =
        send("POST", "/api/v1/carts/" + id + "/items",
             "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":" + std::to_string(quantity) + "}");
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
    return id;
  }
  HttpReply payWithToken(const std::string& customer, const std::string& key,
                         const std::string& sku, const std::string& token) {
    return send("POST", "/api/v1/orders",
                "{\"cart_id\":" + jsonQuote(cartWith(sku, 1)) + ",\"shipping_address\":" +
                    kAddress + R"(,"payment":{"method":"card","token":)" + jsonQuote(token) + "}}",
                customer, {{"Idempotency-Key", key}});
  }
  std::int64_t reserved(const std::string& sku) {
    const auto r = get("/api/v1/admin/inventory/" + sku, admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? integer(parseJson(r.body), "reserved") : -1;
  }
};

TEST_P(PaymentsApiTest, TheSandboxIsNeverOnTheShopsPort) {
  ASSERT_NE(startServer({{"EMPORIUM_LOG_LEVEL", "info"}}), 0);
  const auto config = get("/api/v1/payments/config");
  ASSERT_EQ(config.status, 200) << config.body;
  const auto d = parseJson(config.body);
  ASSERT_TRUE(d.HasMember("methods") && d["methods"].IsArray());
  std::vector<std::string> methods;
  for (const auto& m : d["methods"].GetArray()) methods.emplace_back(m.GetString());
  EXPECT_EQ(methods, (std::vector<std::string>{"card", "gift_card", "cod"}));
  const auto where = tokenizeUrl();
  EXPECT_NE(where.port, 0);
  EXPECT_NE(where.port, port_);
  EXPECT_EQ(where.path, "/sandbox/v1/tokens");

  // The shop's router knows no /sandbox at all.
  const std::string card =
      R"({"number":"4242424242424242","exp_month":12,"exp_year":2099,"cvc":"1"})";
  EXPECT_TRUE(isProblem(send("POST", "/sandbox/v1/tokens", card), 404));
  EXPECT_TRUE(isProblem(send("POST", "/sandbox/v1/control", R"({"fail_rate":1})"), 404));
  EXPECT_TRUE(isProblem(get("/sandbox/v1/charges"), 404));
  EXPECT_TRUE(isProblem(send("POST", "/sandbox/v1/refunds", "{}"), 404));
  // Where the config says, tokenizing works without any credential.
  EXPECT_FALSE(cardToken("4242424242424242").empty());
  // The start-up log names the sandbox's address.
  EXPECT_NE(serverOutput().find("http://127.0.0.1:" + std::to_string(where.port) + "/sandbox"),
            std::string::npos);
}

TEST_P(PaymentsApiTest, SandboxControlChargesAndRefundsNeedTheSecret) {
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto sku = createProduct("Lamp", 2500, 5);
  const auto buyer = registerCustomer("buyer@example.com");

  // Without the secret (or with a wrong one) nothing can be changed or read.
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/v1/control", R"({"fail_rate":1})"},
           {"POST", "/v1/control", R"({"latency_ms":60000})"},
           {"GET", "/v1/control", ""},
           {"GET", "/v1/charges", ""},
           {"POST", "/v1/refunds", R"({"charge_idempotency_key":"x"})"},
           {"POST", "/v1/charges", R"({"token":"tok_x","amount":1,"currency":"USD"})"}}) {
    const auto r = sandbox(method, path, body, false);
    EXPECT_TRUE(isProblem(r, 401)) << method << ' ' << path;
  }
  const auto where = tokenizeUrl();
  const auto wrong = httpRequest(
      where.port, "POST", "/sandbox/v1/control", R"({"fail_rate":1})",
      {{"Content-Type", "application/json"}, {"Authorization", "Bearer not-the-sandbox-secret"}});
  EXPECT_TRUE(isProblem(wrong, 401));

  // So checkouts still go through: the shop's own client holds the secret.
  const auto order = payWithToken(buyer, "secret-1", sku, cardToken("4242424242424242"));
  ASSERT_EQ(order.status, 201) << order.body;
  const auto control = sandbox("GET", "/v1/control");
  ASSERT_EQ(control.status, 200) << control.body;
  EXPECT_EQ(parseJson(control.body)["fail_rate"].GetDouble(), 0.0);
  EXPECT_EQ(sandbox("GET", "/v1/charges").status, 200);
}

TEST_P(PaymentsApiTest, WithoutASecretOneIsGeneratedLoggedAndUsedByTheShop) {
  env().erase("EMPORIUM_SANDBOX_SECRET");
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto sku = createProduct("Chair", 4000, 5);
  const auto buyer = registerCustomer("gen@example.com");
  const auto order = payWithToken(buyer, "generated-1", sku, cardToken("4242424242424242"));
  ASSERT_EQ(order.status, 201) << order.body;
  EXPECT_TRUE(isProblem(sandbox("GET", "/v1/control"), 401));  // the test's secret is not it

  const std::string log = serverOutput();
  constexpr std::string_view kMember = R"("sandbox_secret":")";
  const auto at = log.find(kMember);
  ASSERT_NE(at, std::string::npos) << log;
  const std::string secret = log.substr(at + kMember.size(), 64);
  EXPECT_EQ(secret.find_first_not_of("0123456789abcdef"), std::string::npos) << secret;
  const auto where = tokenizeUrl();
  const auto r = httpRequest(where.port, "GET", "/sandbox/v1/control", "",
                             {{"Authorization", "Bearer " + secret}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_P(PaymentsApiTest, ThePortFileNamesTheShopAndTheSandbox) {
  auto served = startServe(EMPORIUM_BINARY, {}, env());
  ASSERT_NE(served.port, 0) << served.child->output();
  EXPECT_EQ(served.ports.size(), 2U);
  EXPECT_EQ(served.ports["shop"], served.port);
  port_ = served.port;
  EXPECT_EQ(served.ports["sandbox"], tokenizeUrl().port);
  served.child->signal(SIGTERM);
  EXPECT_EQ(served.child->wait(20s), 0);
}

TEST_P(PaymentsApiTest, TokenizingIsRateLimitedPerAddress) {
  ASSERT_NE(startServer({{"EMPORIUM_RATE_LIMITS", "on"}}), 0);
  const auto where = tokenizeUrl();
  int created = 0;
  int limited = 0;
  for (int i = 0; i < 80; ++i) {
    const auto r =
        httpRequest(where.port, "POST", where.path,
                    R"({"number":"4242424242424242","exp_month":12,"exp_year":2099,"cvc":"123"})",
                    {{"Content-Type", "application/json"}});
    if (r.status == 201) ++created;
    if (r.status == 429) {
      ++limited;
      EXPECT_TRUE(isProblem(r, 429));
    }
  }
  EXPECT_EQ(created + limited, 80);
  EXPECT_GE(created, 30);
  EXPECT_GE(limited, 20);
}

TEST_P(PaymentsApiTest, AnotherCustomersCardTokenIsRefused) {
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto sku = createProduct("Kettle", 3000, 10);
  const auto ada = registerCustomer("ada@example.com", "Ada");
  const auto bob = registerCustomer("bob@example.com", "Bob");
  const auto adas_token = cardToken("4242424242424242");
  ASSERT_EQ(payWithToken(ada, "ada-1", sku, adas_token).status, 201);

  const auto stolen = payWithToken(bob, "bob-1", sku, adas_token);
  EXPECT_TRUE(isProblem(stolen, 422));
  EXPECT_EQ(errorFields(stolen), Fields{"payment.token"});
  EXPECT_EQ(reserved(sku), 1);  // Ada's unit only: Bob's attempt holds nothing
  // Bob's own card works; Ada's token keeps working for Ada.
  EXPECT_EQ(payWithToken(bob, "bob-2", sku, cardToken("4242424242424242")).status, 201);
  EXPECT_EQ(payWithToken(ada, "ada-2", sku, adas_token).status, 201);
  EXPECT_EQ(reserved(sku), 3);
}

// Issue 14: a card token belongs to the customer who made it. Tokenized
// through the URL the shop gave Ada, it is Ada's before she ever pays: Bob
// presenting it first is refused, and that does not take it from her.
TEST_P(PaymentsApiTest, ATokenMadeThroughACustomersTokenizeUrlPaysForThemOnly) {
  ASSERT_NE(startServer(), 0);
  signInAdmin();
  const auto sku = createProduct("Teapot", 2500, 10);
  const auto ada = registerCustomer("ada@example.com", "Ada");
  const auto bob = registerCustomer("bob@example.com", "Bob");

  const auto config = get("/api/v1/payments/config", ada);
  ASSERT_EQ(config.status, 200) << config.body;
  EXPECT_NE(text(parseJson(config.body)["card"], "tokenize_url").find("?customer=user:"),
            std::string::npos)
      << config.body;
  EXPECT_EQ(config.header("cache-control"), "private, no-store");
  const auto adas_token = cardToken("4242424242424242", ada);
  ASSERT_FALSE(adas_token.empty());

  const auto stolen = payWithToken(bob, "bob-1", sku, adas_token);
  EXPECT_TRUE(isProblem(stolen, 422)) << stolen.body;
  EXPECT_EQ(errorFields(stolen), Fields{"payment.token"});
  EXPECT_EQ(reserved(sku), 0);
  EXPECT_EQ(payWithToken(ada, "ada-1", sku, adas_token).status, 201);
  EXPECT_EQ(reserved(sku), 1);

  // Only the shop makes bindings: one it did not sign is refused, naming it.
  const auto where = tokenizeUrl();
  const auto forged =
      httpRequest(where.port, "POST", where.path + "?customer=user%3Abob." + std::string(64, '0'),
                  R"({"number":"4242424242424242","exp_month":12,"exp_year":2099,"cvc":"123"})",
                  {{"Content-Type", "application/json"}});
  EXPECT_TRUE(isProblem(forged, 400)) << forged.body;
  EXPECT_EQ(errorFields(forged), Fields{"customer"});
  // A guest names the cart it checks out; a cart id that is not one is a 422.
  EXPECT_EQ(get("/api/v1/payments/config?cart_id=" + cartWith(sku, 1)).status, 200);
  const auto bad_cart = get("/api/v1/payments/config?cart_id=%3Cx%3E");
  EXPECT_TRUE(isProblem(bad_cart, 422)) << bad_cart.body;
  EXPECT_EQ(errorFields(bad_cart), Fields{"cart_id"});
}

TEST_P(PaymentsApiTest, RefundsMadeAtTheSandboxAreFoundAndRecorded) {
  ASSERT_NE(startServer({{"EMPORIUM_PAYMENTS_RECONCILE_EVERY_MS", "100"}}), 0);
  signInAdmin();
  const auto sku = createProduct("Toaster", 3500, 5);
  const auto buyer = registerCustomer("toast@example.com");
  const auto order = payWithToken(buyer, "recon-1", sku, cardToken("4242424242424242"));
  ASSERT_EQ(order.status, 201) << order.body;
  const auto shown = get("/api/v1/admin/orders/" + text(parseJson(order.body), "id"), admin_);
  ASSERT_EQ(shown.status, 200) << shown.body;
  const std::string payment_id = text(parseJson(shown.body)["payment"], "id");
  const auto metric = [&] {
    const auto body = call("GET", "/metrics", {}, {}, servicePort("payments")).body;
    constexpr std::string_view kName = "\nemporium_payments_provider_refunds_recorded_total ";
    const auto at = body.find(kName);
    return at == std::string::npos ? -1 : std::stoi(body.substr(at + kName.size()));
  };
  EXPECT_EQ(metric(), 0);
  // A refund made at the provider, not through the shop.
  const auto refund =
      sandbox("POST", "/v1/refunds", "{\"charge_idempotency_key\":" + jsonQuote(payment_id) + "}",
              true, {{"Idempotency-Key", "console-refund-1"}});
  ASSERT_EQ(refund.status, 200) << refund.body;
  EXPECT_TRUE(eventually([&] { return metric() == 1; }, 10s));
}

// `--target=payment-sandbox`: the sandbox alone on the listen address (port 0
// here, learnt from the port file), with the same secret rules.
TEST_P(PaymentsApiTest, PaymentSandboxTargetServesItAlone) {
  auto served = startServe(EMPORIUM_BINARY, {"--target=payment-sandbox"}, env());
  ASSERT_NE(served.port, 0) << served.child->output();
  EXPECT_EQ(served.ports.size(), 1U);
  EXPECT_EQ(served.ports["sandbox"], served.port);
  const auto port = served.port;
  const auto token =
      httpRequest(port, "POST", "/sandbox/v1/tokens",
                  R"({"number":"4242424242424242","exp_month":12,"exp_year":2099,"cvc":"123"})",
                  {{"Content-Type", "application/json"}});
  EXPECT_EQ(token.status, 201) << token.body;
  EXPECT_TRUE(isProblem(httpRequest(port, "GET", "/sandbox/v1/control"), 401));
  EXPECT_EQ(httpRequest(port, "GET", "/sandbox/v1/control", "",
                        {{"Authorization", std::string("Bearer ") + kSandboxSecret}})
                .status,
            200);
  EXPECT_EQ(httpRequest(port, "GET", "/api/v1/payments/config").status, 404);  // no shop here
  served.child->signal(SIGTERM);
  EXPECT_EQ(served.child->wait(20s), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, PaymentsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, PaymentsApiTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
