// Partial refunds and refunds made at the card provider, end to end on both
// SQL backends (issue 14): by amount (twice, then one too many), by lines
// (stock back only for lines marked returned), the rest of the order after
// partial ones, eight concurrent quarter refunds of a card payment (exactly
// four, one provider refund each), and a refund made at the sandbox provider
// moving the order once the reconciliation pass finds it.

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;

class RefundsTest : public ShopTest {
 protected:
  void startShop(const Headers& extra = {}) {
    ASSERT_NE(startServer(extra), 0);
    signInAdmin();
  }

  // An order of `quantity` x sku paid as `payment`; its id (a failure and "" if refused).
  std::string order(const std::string& buyer, const std::string& key, const std::string& sku,
                    std::int64_t quantity, const std::string& payment) {
    const auto cart = text(parseJson(get("/api/v1/me/cart", buyer).body), "id");
    auto r = send("POST", "/api/v1/carts/" + cart + "/items",
                  "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":" + std::to_string(quantity) + "}",
                  buyer);
    EXPECT_EQ(r.status / 100, 2) << r.body;
    r = send("POST", "/api/v1/orders",
             "{\"cart_id\":" + jsonQuote(cart) + ",\"shipping_address\":" + kAddress +
                 ",\"payment\":" + payment + "}",
             buyer, {{"Idempotency-Key", key}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? text(parseJson(r.body), "id") : std::string();
  }

  HttpReply refund(const std::string& id, const std::string& body) {
    return send("POST", "/api/v1/admin/orders/" + id + "/refund", body, admin_);
  }
  rapidjson::Document adminOrder(const std::string& id) {
    return parseJson(get("/api/v1/admin/orders/" + id, admin_).body);
  }
  void giftCard(const std::string& code, std::int64_t balance) {
    ASSERT_EQ(send("POST", "/api/v1/admin/gift-cards",
                   "{\"code\":" + jsonQuote(code) + ",\"balance\":" + std::to_string(balance) + "}",
                   admin_)
                  .status,
              201);
  }
  std::int64_t balance(const std::string& code) {
    return amount(parseJson(get("/api/v1/admin/gift-cards/" + code, admin_).body), "balance");
  }
  std::int64_t onHand(const std::string& sku) {
    return integer(parseJson(get("/api/v1/admin/inventory/" + sku, admin_).body), "on_hand");
  }
  // The sandbox's record of the order's card charge (its key is the payment id).
  rapidjson::Document providerCharge(const std::string& payment_id) {
    const auto r = sandbox("GET", "/v1/charges?idempotency_key=" + payment_id);
    EXPECT_EQ(r.status, 200) << r.body;
    auto d = parseJson(r.body);
    EXPECT_TRUE(d.IsObject() && d.HasMember("items") && d["items"].IsArray() &&
                d["items"].Size() == 1)
        << r.body;
    return d;
  }
};

// By amount twice, a third above what is left (422 naming amount), then the
// rest with an empty body: the order is refunded, the gift card whole again,
// and every refund is listed with who, when and why.
TEST_P(RefundsTest, PartialRefundsByAmountThenTheRest) {
  startShop();
  const auto sku = createProduct("Kettle", 3000, 10);
  const auto buyer = registerCustomer("partial@example.com", "Pat Partial");
  giftCard("PARTIAL-1", 100000);
  const auto id = order(buyer, "gift", sku, 2, R"({"method":"gift_card","code":"PARTIAL-1"})");
  ASSERT_FALSE(id.empty());
  const std::int64_t total = amount(adminOrder(id)["totals"], "total");
  ASSERT_EQ(balance("PARTIAL-1"), 100000 - total);
  const auto admin_id = text(parseJson(get("/api/v1/me", admin_).body), "id");

  auto r = refund(id, R"({"amount":{"amount":1000,"currency":"USD"},"reason":"late"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  EXPECT_EQ(text(d, "status"), "confirmed");  // partial: the status stays
  EXPECT_EQ(text(d["payment"], "status"), "partially_refunded");
  EXPECT_EQ(amount(d, "refunded_total"), 1000);
  ASSERT_EQ(d["refunds"].Size(), 1U);
  EXPECT_EQ(amount(d["refunds"][0], "amount"), 1000);
  EXPECT_EQ(text(d["refunds"][0], "reason"), "late");
  EXPECT_EQ(text(d["refunds"][0], "by"), admin_id);
  EXPECT_FALSE(text(d["refunds"][0], "at").empty());
  EXPECT_EQ(text(d["timeline"][d["timeline"].Size() - 1], "note"), "partially refunded: late");
  EXPECT_EQ(balance("PARTIAL-1"), 100000 - total + 1000);  // credited back that much

  r = refund(id, R"({"amount":1000})");  // a bare integer of minor units too
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(amount(parseJson(r.body), "refunded_total"), 2000);

  r = refund(id, "{\"amount\":" + std::to_string(total - 2000 + 1) + "}");
  ASSERT_TRUE(isProblem(r, 422)) << r.body;
  EXPECT_EQ(errorFields(r), Fields{"amount"});
  for (const auto* bad : {R"({"amount":0})", R"({"amount":-5})", R"({"amount":"10"})",
                          R"({"amount":{"amount":10,"currency":"EUR"}})"}) {
    r = refund(id, bad);
    EXPECT_TRUE(isProblem(r, 422)) << bad << ": " << r.body;
  }
  EXPECT_EQ(amount(adminOrder(id), "refunded_total"), 2000);

  r = refund(id, "{}");  // the rest
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  EXPECT_EQ(text(d, "status"), "refunded");
  EXPECT_EQ(text(d["payment"], "status"), "refunded");
  EXPECT_EQ(amount(d, "refunded_total"), total);
  EXPECT_EQ(d["refunds"].Size(), 3U);
  EXPECT_EQ(amount(d["refunds"][2], "amount"), total - 2000);
  EXPECT_EQ(balance("PARTIAL-1"), 100000);
  r = refund(id, R"({"amount":1})");
  ASSERT_TRUE(isProblem(r, 409));
  EXPECT_EQ(text(parseJson(r.body), "order_status"), "refunded");
  // The buyer sees the refunds on the order.
  d = parseJson(get("/api/v1/orders/" + id, buyer).body);
  EXPECT_EQ(d["refunds"].Size(), 3U);
}

// Lines: their value is refunded; `returned: true` puts the units back on
// hand, false leaves stock alone; more units than bought, an unknown SKU,
// and returning goods of an order not yet shipped are 422s naming the line.
TEST_P(RefundsTest, RefundsByLinesReturnStockOnlyForReturnedLines) {
  startShop();
  const auto sku = createProduct("Teapot", 2000, 10);
  const auto buyer = registerCustomer("lines@example.com", "Lin Lines");
  giftCard("LINES-1", 100000);
  const auto id = order(buyer, "gift", sku, 3, R"({"method":"gift_card","code":"LINES-1"})");
  ASSERT_FALSE(id.empty());
  auto r =
      refund(id, "{\"lines\":[{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1,\"returned\":true}]}");
  ASSERT_TRUE(isProblem(r, 422)) << r.body;  // not shipped: nothing to come back
  EXPECT_EQ(errorFields(r), Fields{"lines[0].returned"});
  r = send("POST", "/api/v1/admin/orders/" + id + "/ship",
           R"({"carrier":"DHL","tracking_number":"TRK-1"})", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(onHand(sku), 7);

  r = refund(id, "{\"lines\":[{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1,\"returned\":true}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  EXPECT_EQ(amount(d, "refunded_total"), 2000);  // price x quantity
  EXPECT_EQ(text(d, "status"), "shipped");
  EXPECT_TRUE(d["refunds"][0]["lines"][0]["returned"].GetBool());
  EXPECT_TRUE(eventually([&] { return onHand(sku) == 8; }, 5s)) << onHand(sku);

  r = refund(id, "{\"lines\":[{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(amount(parseJson(r.body), "refunded_total"), 4000);
  EXPECT_EQ(onHand(sku), 8);  // not returned: stock unchanged

  r = refund(id, "{\"lines\":[{\"sku\":" + jsonQuote(sku) + ",\"quantity\":2}]}");
  ASSERT_TRUE(isProblem(r, 422)) << r.body;
  EXPECT_EQ(errorFields(r), Fields{"lines[0].quantity"});
  r = refund(id, R"({"lines":[{"sku":"NOPE-1","quantity":1}]})");
  ASSERT_TRUE(isProblem(r, 422)) << r.body;
  EXPECT_EQ(errorFields(r), Fields{"lines[0].sku"});
  r = refund(id, R"({"lines":[{"quantity":0}]})");
  ASSERT_TRUE(isProblem(r, 422)) << r.body;
  EXPECT_EQ(errorFields(r), (Fields{"lines[0].sku", "lines[0].quantity"}));
  r = refund(id, "{\"amount\":2001,\"lines\":[{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}]}");
  ASSERT_TRUE(isProblem(r, 422)) << r.body;  // more than the line is worth
  EXPECT_EQ(errorFields(r), Fields{"amount"});

  r = refund(id, "{\"lines\":[{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1,\"returned\":true}]}");
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  EXPECT_EQ(text(d, "status"), "refunded");  // the last line was the rest of the order
  EXPECT_EQ(amount(d, "refunded_total"), amount(d["totals"], "total"));
  EXPECT_TRUE(eventually([&] { return onHand(sku) == 9; }, 5s)) << onHand(sku);
  EXPECT_EQ(balance("LINES-1"), 100000);
}

// Eight quarter refunds of a card payment at once: exactly four are
// accepted, they add up to what was captured, and the sandbox made exactly
// four refunds. The refunded mail says the amount of each.
TEST_P(RefundsTest, ConcurrentQuarterRefundsOfACardPaymentStopAtTheCapturedTotal) {
  startShop();
  const auto sku = createProduct("Lamp", 2500, 10);  // 2 x 2500: free shipping, 5000
  const auto buyer = registerCustomer("quarters@example.com", "Quinn Quarters");
  const auto id = order(buyer, "card", sku, 2,
                        R"({"method":"card","token":")" + cardToken("4242424242424242") + "\"}");
  ASSERT_FALSE(id.empty());
  const auto before = adminOrder(id);
  const std::int64_t total = amount(before["totals"], "total");
  ASSERT_EQ(total % 4, 0);
  const std::string payment_id = text(before["payment"], "id");

  constexpr int kRefunds = 8;
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::latch start(kRefunds);
  std::vector<std::thread> threads;
  threads.reserve(kRefunds);
  for (int i = 0; i < kRefunds; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      const auto r = refund(id, "{\"amount\":" + std::to_string(total / 4) + "}");
      if (r.status == 200) ++ok;
      if (r.status == 409 || r.status == 422) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(refused.load(), 4);
  const auto after = adminOrder(id);
  EXPECT_EQ(text(after, "status"), "refunded");
  EXPECT_EQ(text(after["payment"], "status"), "refunded");
  EXPECT_EQ(amount(after, "refunded_total"), total);
  EXPECT_EQ(after["refunds"].Size(), 4U);
  const auto charge = providerCharge(payment_id);
  const auto& c = charge["items"][0];
  EXPECT_EQ(integer(c, "amount_refunded"), total);
  ASSERT_TRUE(c["refunds"].IsArray());
  EXPECT_EQ(c["refunds"].Size(), 4U);
  EXPECT_TRUE(c["refunded"].GetBool());
  // More than the charge, straight at the sandbox: refused.
  const auto over =
      sandbox("POST", "/v1/refunds",
              "{\"charge_idempotency_key\":" + jsonQuote(payment_id) + ",\"amount\":1}", true,
              {{"Idempotency-Key", "over-1"}});
  EXPECT_EQ(over.status, 422) << over.body;
}

// A refund made at the provider (its console, not the shop) moves the order:
// a part of it keeps the status, the rest makes it refunded, each recorded
// by "provider" once, however many reconciliation passes see it.
TEST_P(RefundsTest, RefundsMadeAtTheProviderMoveTheOrder) {
  startShop({{"EMPORIUM_PAYMENTS_RECONCILE_EVERY_MS", "100"}});
  const auto sku = createProduct("Toaster", 3000, 10);
  const auto buyer = registerCustomer("console@example.com", "Connie Console");
  const auto id = order(buyer, "card", sku, 2,
                        R"({"method":"card","token":")" + cardToken("4242424242424242") + "\"}");
  ASSERT_FALSE(id.empty());
  const auto before = adminOrder(id);
  const std::int64_t total = amount(before["totals"], "total");
  const std::string payment_id = text(before["payment"], "id");

  auto r = sandbox("POST", "/v1/refunds",
                   "{\"charge_idempotency_key\":" + jsonQuote(payment_id) + ",\"amount\":1000}",
                   true, {{"Idempotency-Key", "console-part"}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(eventually([&] { return amount(adminOrder(id), "refunded_total") == 1000; }, 10s));
  auto d = adminOrder(id);
  EXPECT_EQ(text(d, "status"), "confirmed");
  EXPECT_EQ(text(d["payment"], "status"), "partially_refunded");
  ASSERT_EQ(d["refunds"].Size(), 1U);
  EXPECT_EQ(text(d["refunds"][0], "by"), "provider");
  EXPECT_EQ(text(d["refunds"][0], "reason"), "refunded at the provider");

  // The rest, at the provider too.
  r = sandbox("POST", "/v1/refunds", "{\"charge_idempotency_key\":" + jsonQuote(payment_id) + "}",
              true, {{"Idempotency-Key", "console-rest"}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(eventually([&] { return text(adminOrder(id), "status") == "refunded"; }, 10s));
  d = adminOrder(id);
  EXPECT_EQ(amount(d, "refunded_total"), total);
  EXPECT_EQ(text(d["payment"], "status"), "refunded");
  // Later passes record nothing twice.
  const auto metric = [&] {
    const auto body = call("GET", "/metrics", {}, {}, servicePort("payments")).body;
    constexpr std::string_view kName = "\nemporium_payments_provider_refunds_recorded_total ";
    const auto at = body.find(kName);
    return at == std::string::npos ? -1 : std::stoi(body.substr(at + kName.size()));
  };
  EXPECT_TRUE(eventually([&] { return metric() == 2; }, 10s)) << metric();
  EXPECT_EQ(adminOrder(id)["refunds"].Size(), 2U);
  EXPECT_EQ(metric(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, RefundsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, RefundsTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
