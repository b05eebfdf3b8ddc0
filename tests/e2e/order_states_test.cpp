// Orders after checkout, end to end on both SQL backends: every status change
// goes through the transition table (refunds once however many arrive, never
// from cancelled), a refused checkout leaves no order, mail or cart change for
// the buyer but stays visible to the owner, delivered and refunded orders are
// mailed, and a sweeper configured to take live checkouts for abandoned ones
// is refused at start. Payments here are gift cards and cash on delivery, so
// the card provider's setup does not matter to these tests.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class OrderStatesTest : public ShopTest {
 protected:
  void startShop() {
    ASSERT_NE(startServer(), 0);
    signInAdmin();
  }

  // The buyer's own cart with `quantity` of sku; its id.
  std::string myCartWith(const std::string& buyer, const std::string& sku, std::int64_t quantity) {
    const auto cart = text(parseJson(get("/api/v1/me/cart", buyer).body), "id");
    const auto r = send(
        "POST", "/api/v1/carts/" + cart + "/items",
        "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":" + std::to_string(quantity) + "}", buyer);
    EXPECT_EQ(r.status / 100, 2) << r.body;
    return cart;
  }

  HttpReply placeOrder(const std::string& buyer, const std::string& key, const std::string& cart,
                       const std::string& payment) {
    return send("POST", "/api/v1/orders",
                "{\"cart_id\":" + jsonQuote(cart) + ",\"shipping_address\":" + kAddress +
                    ",\"payment\":" + payment + "}",
                buyer, {{"Idempotency-Key", key}});
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
  std::int64_t reserved(const std::string& sku) {
    return integer(parseJson(get("/api/v1/admin/inventory/" + sku, admin_).body), "reserved");
  }

  // Every mail the shop wrote (data/mail/*.eml), whole.
  std::vector<std::string> mails() const {
    std::vector<std::string> out;
    std::error_code ec;
    const auto dir = data_dir_ / "mail";
    if (!fs::exists(dir, ec)) return out;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
      if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      out.push_back(text.str());
    }
    return out;
  }
  std::size_t mailsContaining(const std::string& needle) const {
    const auto all = mails();
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const auto& m) {
      return m.find(needle) != std::string::npos;
    }));
  }
};

// The audit: three refunds answered 200, 200, 200 with three order.refunded
// events; a cancelled order could be refunded. Now one wins and the rest get
// 409 naming the current status; the money goes back once.
TEST_P(OrderStatesTest, RefundsFollowTheStateMachineAndPayBackOnce) {
  startShop();
  const auto sku = createProduct("Kettle", 3000, 10);
  const auto buyer = registerCustomer("refunds@example.com", "Rita Refund");
  giftCard("REFUND-1", 100000);
  auto r = placeOrder(buyer, "gift", myCartWith(buyer, sku, 2),
                      R"({"method":"gift_card","code":"REFUND-1"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = text(parseJson(r.body), "id");
  const auto number = text(parseJson(r.body), "number");
  const auto charged = 100000 - balance("REFUND-1");
  ASSERT_GT(charged, 0);
  EXPECT_EQ(reserved(sku), 2);

  // A refund naming a line the order does not have is refused by name
  // (partial refunds themselves: refunds_test.cpp).
  r = send("POST", "/api/v1/admin/orders/" + id + "/refund",
           R"({"lines":[{"sku":"NOT-BOUGHT","quantity":1}]})", admin_);
  ASSERT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"lines[0].sku"});
  EXPECT_EQ(balance("REFUND-1"), 100000 - charged);

  constexpr int kRefunds = 6;
  std::atomic<int> ok{0};
  std::atomic<int> conflicts{0};
  std::latch start(kRefunds);
  std::vector<std::thread> threads;
  threads.reserve(kRefunds);
  for (int i = 0; i < kRefunds; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      const auto reply = send("POST", "/api/v1/admin/orders/" + id + "/refund",
                              R"({"reason":"arrived damaged"})", admin_);
      if (reply.status == 200) ++ok;
      if (reply.status == 409 && reply.body.find("refunded") != std::string::npos) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflicts.load(), kRefunds - 1);
  EXPECT_EQ(balance("REFUND-1"), 100000);  // paid back exactly once
  EXPECT_EQ(reserved(sku), 0);
  auto d = parseJson(get("/api/v1/orders/" + id, buyer).body);
  EXPECT_EQ(text(d, "status"), "refunded");
  EXPECT_EQ(text(d["payment"], "status"), "refunded");
  ASSERT_EQ(d["timeline"].Size(), 3U);
  EXPECT_EQ(text(d["timeline"][2], "note"), "refunded: arrived damaged");

  r = send("POST", "/api/v1/admin/orders/" + id + "/refund", "{}", admin_);
  ASSERT_TRUE(isProblem(r, 409));
  d = parseJson(r.body);
  EXPECT_EQ(text(d, "order_status"), "refunded");

  // Cash on delivery, cancelled before delivery: never charged, and it says so.
  r = placeOrder(buyer, "cod", myCartWith(buyer, sku, 1), R"({"method":"cod"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto cod = text(parseJson(r.body), "id");
  r = send("POST", "/api/v1/orders/" + cod + "/cancel", "{}", buyer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(text(parseJson(r.body)["payment"], "status"), "voided");
  r = send("POST", "/api/v1/admin/orders/" + cod + "/refund", "{}", admin_);
  ASSERT_TRUE(isProblem(r, 409));
  EXPECT_EQ(text(parseJson(r.body), "order_status"), "cancelled");
  EXPECT_EQ(text(parseJson(get("/api/v1/orders/" + cod, buyer).body), "status"), "cancelled");

  // One refund mail for the refunded order.
  ASSERT_TRUE(
      eventually([&] { return mailsContaining("order " + number + " was refunded") == 1; }, 10s))
      << "no refund mail";
}

TEST_P(OrderStatesTest, DeliveredOrdersAreMailed) {
  startShop();
  const auto sku = createProduct("Teapot", 2000, 5);
  const auto buyer = registerCustomer("delivered@example.com", "Dora Delivered");
  auto r = placeOrder(buyer, "cod", myCartWith(buyer, sku, 1), R"({"method":"cod"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = text(parseJson(r.body), "id");
  const auto number = text(parseJson(r.body), "number");
  // Delivering before shipping is refused, naming the status.
  r = send("POST", "/api/v1/admin/orders/" + id + "/deliver", "{}", admin_);
  ASSERT_TRUE(isProblem(r, 409));
  EXPECT_EQ(text(parseJson(r.body), "order_status"), "confirmed");
  ASSERT_EQ(send("POST", "/api/v1/admin/orders/" + id + "/ship",
                 R"({"carrier":"DHL","tracking_number":"JD1"})", admin_)
                .status,
            200);
  ASSERT_EQ(send("POST", "/api/v1/admin/orders/" + id + "/deliver", "{}", admin_).status, 200);
  ASSERT_TRUE(
      eventually([&] { return mailsContaining("order " + number + " was delivered") == 1; }, 10s))
      << "no delivery mail";
}

// The audit: a declined card, missing stock, a bad gift card left a
// `cancelled` order in the buyer's history and sent "your order was
// cancelled" mail. Now: no order, no mail, the cart as it was, the stock
// free, a problem saying what to do, and the attempt kept for the owner.
TEST_P(OrderStatesTest, RefusedCheckoutsLeaveNoOrderNoMailAndTheCartIntact) {
  startShop();
  const auto sku = createProduct("Armchair", 9000, 3);
  const auto buyer = registerCustomer("refused@example.com", "Fred Refused");
  giftCard("SMALL-1", 100);
  const auto cart = myCartWith(buyer, sku, 3);
  // Stock counted again after the cart was filled: two left.
  ASSERT_EQ(send("PUT", "/api/v1/admin/inventory/" + sku, R"({"on_hand":2})", admin_).status, 200);

  auto r = placeOrder(buyer, "too-many", cart, R"({"method":"cod"})");
  ASSERT_TRUE(isProblem(r, 409));
  EXPECT_NE(text(parseJson(r.body), "detail").find("lower the quantity"), std::string::npos)
      << r.body;
  ASSERT_EQ(
      send("PATCH", "/api/v1/carts/" + cart + "/items/" + sku, R"({"quantity":1})", buyer).status /
          100,
      2);
  r = placeOrder(buyer, "no-funds", cart, R"({"method":"gift_card","code":"SMALL-1"})");
  ASSERT_TRUE(isProblem(r, 402));
  EXPECT_NE(text(parseJson(r.body), "detail").find("another payment method"), std::string::npos)
      << r.body;
  r = placeOrder(buyer, "unknown-card", cart, R"({"method":"gift_card","code":"NOPE-0"})");
  ASSERT_TRUE(isProblem(r, r.status == 402 ? 402 : 422));  // unknown code: refused either way

  // Nothing in the buyer's history; the cart and the stock as they were.
  EXPECT_EQ(parseJson(get("/api/v1/orders", buyer).body)["items"].Size(), 0U);
  const auto c = parseJson(get("/api/v1/carts/" + cart, buyer).body);
  EXPECT_EQ(integer(c, "item_count"), 1);
  EXPECT_EQ(reserved(sku), 0);
  EXPECT_EQ(balance("SMALL-1"), 100);

  // The owner sees the attempts, only when asking for them.
  auto failed = parseJson(get("/api/v1/admin/orders?status=failed", admin_).body);
  ASSERT_EQ(failed["items"].Size(), 3U);
  for (const auto& o : failed["items"].GetArray()) EXPECT_EQ(text(o, "status"), "failed");
  EXPECT_EQ(text(failed["items"][2]["payment"], "status"), "not_charged");
  EXPECT_EQ(parseJson(get("/api/v1/admin/orders", admin_).body)["items"].Size(), 0U);
  const auto failed_id = text(failed["items"][0], "id");
  EXPECT_TRUE(isProblem(get("/api/v1/orders/" + failed_id, buyer), 404));
  EXPECT_TRUE(isProblem(send("POST", "/api/v1/orders/" + failed_id + "/cancel", "{}", buyer), 404));

  // The same cart then checks out; its confirmation is the only order mail.
  r = placeOrder(buyer, "fine", cart, R"({"method":"cod"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto number = text(parseJson(r.body), "number");
  ASSERT_TRUE(eventually([&] { return mailsContaining(number) == 1; }, 10s));
  // Welcome and confirmation, nothing else (a third would never let this hold).
  EXPECT_TRUE(eventually([&] { return mailsContaining("To: Fred Refused") == 2; }, 10s));
  EXPECT_EQ(mailsContaining("cancelled"), 0U);
  EXPECT_EQ(integer(parseJson(get("/api/v1/carts/" + cart, buyer).body), "item_count"), 0);
}

// The same for a card provider that is down (503): no order in the buyer's
// history, no mail, the cart and the stock as they were, and the attempt kept
// for the owner. (A refused address never gets as far as an order:
// AddressRuleTest.SavedAndInlineAddressesRefuseTheSameFields.)
TEST_P(OrderStatesTest, AProviderOutageLeavesNoOrderNoMailAndTheCartIntact) {
  const ClosedPort dead;  // bound, never listening: the provider refuses connections
  ASSERT_NE(startServer({{"EMPORIUM_PAYMENT_PROVIDER_URL",
                          "http://127.0.0.1:" + std::to_string(dead.port())}}),
            0);
  signInAdmin();
  const auto sku = createProduct("Footstool", 4000, 3);
  const auto buyer = registerCustomer("outage@example.com", "Olga Outage");
  const auto cart = myCartWith(buyer, sku, 2);

  auto r = placeOrder(buyer, "provider-down", cart, R"({"method":"card","token":"tok_any"})");
  ASSERT_TRUE(isProblem(r, 503)) << r.body;
  EXPECT_FALSE(r.header("retry-after").empty());

  EXPECT_EQ(parseJson(get("/api/v1/orders", buyer).body)["items"].Size(), 0U);
  EXPECT_EQ(integer(parseJson(get("/api/v1/carts/" + cart, buyer).body), "item_count"), 2);
  EXPECT_EQ(reserved(sku), 0);
  const auto failed = parseJson(get("/api/v1/admin/orders?status=failed", admin_).body);
  ASSERT_EQ(failed["items"].Size(), 1U);
  EXPECT_EQ(text(failed["items"][0], "status"), "failed");

  // Paid another way, the same cart goes through; its confirmation and the
  // welcome are the buyer's only mails.
  r = placeOrder(buyer, "provider-down", cart, R"({"method":"cod"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto number = text(parseJson(r.body), "number");
  ASSERT_TRUE(eventually([&] { return mailsContaining(number) == 1; }, 10s));
  EXPECT_TRUE(eventually([&] { return mailsContaining("To: Olga Outage") == 2; }, 10s));
  EXPECT_EQ(mailsContaining("cancelled"), 0U);
}

TEST_P(OrderStatesTest, ARecoveryWindowShorterThanACardChargeIsRefusedAtStart) {
  auto e = env();
  e["EMPORIUM_ORDERS_RECOVER_AFTER_MS"] = "300";
  const auto refused = runProcess(cmd({"serve"}), e, 30s);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("orders.recover_after_ms"), std::string::npos) << refused.output;
  EXPECT_EQ(std::count(refused.output.begin(), refused.output.end(), '\n'), 1) << refused.output;
  // With a short provider timeout the same window is fine (the crash tests run so).
  EXPECT_NE(startServer({{"EMPORIUM_PAYMENT_PROVIDER_TIMEOUT_MS", "100"},
                         {"EMPORIUM_ORDERS_RECOVER_AFTER_MS", "1000"}}),
            0);
}

// The catalog shows in stock from inventory's stock.changed events (consumer
// catalog.stock), not from a call between the services: the last unit sold
// shows as sold out on the product, its variant and the in_stock listing, and
// a cancel puts it back, with the cached product page dropped both times.
TEST_P(OrderStatesTest, SellingTheLastUnitShowsSoldOutAndACancelPutsItBack) {
  startShop();
  const auto sku = createProduct("Last Lamp", 2500, 2);
  const auto shown = [&] {
    const auto d = parseJson(get("/api/v1/products/last-lamp").body);
    const auto listed = get("/api/v1/products?in_stock=true&limit=100").body;
    const bool variant = d.IsObject() && d.HasMember("variants") && d["variants"].Size() == 1 &&
                         d["variants"][0]["in_stock"].GetBool();
    const bool product = d.IsObject() && d.HasMember("in_stock") && d["in_stock"].GetBool();
    const bool in_listing = listed.find("\"last-lamp\"") != std::string::npos;
    return std::to_string(product) + std::to_string(variant) + std::to_string(in_listing);
  };
  ASSERT_EQ(shown(), "111");  // and now cached
  const auto buyer = registerCustomer("last@example.com", "Lia Last");
  auto r = placeOrder(buyer, "last", myCartWith(buyer, sku, 2), R"({"method":"cod"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(eventually([&] { return shown() == "000"; }, 5s)) << shown();
  const auto id = text(parseJson(r.body), "id");
  ASSERT_EQ(send("POST", "/api/v1/orders/" + id + "/cancel", "{}", buyer).status, 200);
  EXPECT_TRUE(eventually([&] { return shown() == "111"; }, 5s)) << shown();
  EXPECT_EQ(reserved(sku), 0);
}

// The stock desk knows every SKU the catalog sells, even one inventory has
// no row for yet (a variant created without stock), and no other: in the
// services topology inventory asks the catalog service over HTTP.
TEST_P(OrderStatesTest, TheStockDeskKnowsEverySkuTheCatalogSellsAndNoOther) {
  startShop();
  ASSERT_EQ(
      send("POST", "/api/v1/admin/categories", R"({"name":"Desk","slug":"desk"})", admin_).status,
      201);
  const auto made = send("POST", "/api/v1/admin/products",
                         R"({"title":"Stockless Stool","brand":"Acme","category":"desk",)"
                         R"("variants":[{"sku":"STOOL-1","price":1900}]})",
                         admin_);
  ASSERT_EQ(made.status, 201) << made.body;
  const auto level = get("/api/v1/admin/inventory/STOOL-1", admin_);
  ASSERT_EQ(level.status, 200) << level.body;
  EXPECT_EQ(integer(parseJson(level.body), "on_hand"), 0);
  const auto set = send("PUT", "/api/v1/admin/inventory/STOOL-1", R"({"on_hand":4})", admin_);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(integer(parseJson(set.body), "available"), 4);
  EXPECT_TRUE(isProblem(get("/api/v1/admin/inventory/NO-SUCH-SKU", admin_), 404));
  EXPECT_TRUE(isProblem(
      send("PUT", "/api/v1/admin/inventory/NO-SUCH-SKU", R"({"on_hand":4})", admin_), 404));
  // The catalog hears of the new level (stock.changed) and sells it.
  EXPECT_TRUE(eventually(
      [&] {
        const auto d = parseJson(get("/api/v1/products/stockless-stool").body);
        return d.IsObject() && d.HasMember("in_stock") && d["in_stock"].GetBool();
      },
      5s));
}

INSTANTIATE_TEST_SUITE_P(Backends, OrderStatesTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, OrderStatesTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
