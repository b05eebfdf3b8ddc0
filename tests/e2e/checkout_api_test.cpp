// Carts, checkout, orders and payments end to end, on both SQL backends: the
// real binary (with its sandbox card provider on a loopback port of its own), spoken to
// over HTTP as a storefront would. The issue's guarantees are checked from
// the outside: no oversell under a race, one order and one charge per
// Idempotency-Key, compensation on decline and provider failure, recovery
// after a crash between any two saga steps, and users kept apart.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;

constexpr char kApproveCard[] = "4242424242424242";
constexpr char kDeclineCard[] = "4000000000000002";
constexpr char kNoFundsCard[] = "4000000000009995";
constexpr char kTransientCard[] = "4000000000000119";

const std::string kAddress =
    R"({"name":"Ada Lovelace","line1":"1 Analytical St","city":"London","postal_code":"N1 9GU","country":"GB"})";

struct Stock {
  std::int64_t on_hand = -1;
  std::int64_t reserved = -1;
  std::int64_t available = -1;
};

class CheckoutApiTest : public ShopTest {
 protected:
  void startShop(const Headers& extra = {}) {
    ASSERT_NE(startServer(extra), 0);
    signInAdmin();
  }

  std::string newCart(const std::string& token = {}) {
    const auto r = send("POST", "/api/v1/carts", "{}", token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? text(parseJson(r.body), "id") : std::string();
  }

  HttpReply addItem(const std::string& cart, const std::string& sku, std::int64_t quantity,
                    const std::string& token = {}) {
    return send("POST", "/api/v1/carts/" + cart + "/items",
                "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":" + std::to_string(quantity) + "}",
                token);
  }

  std::string cartWith(const std::string& sku, std::int64_t quantity) {
    const auto cart = newCart();
    const auto r = addItem(cart, sku, quantity);
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
    return cart;
  }

  static std::string orderBody(const std::string& cart, const std::string& payment) {
    return "{\"cart_id\":" + jsonQuote(cart) + ",\"shipping_address\":" + kAddress +
           ",\"payment\":" + payment + "}";
  }
  std::string cardPayment(const std::string& number) {
    return R"({"method":"card","token":")" + cardToken(number) + "\"}";
  }

  HttpReply placeOrder(const std::string& token, const std::string& key, const std::string& body) {
    return send("POST", "/api/v1/orders", body, token, {{"Idempotency-Key", key}});
  }

  Stock stock(const std::string& sku) {
    const auto r = get("/api/v1/admin/inventory/" + sku, admin_);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    const auto d = parseJson(r.body);
    return {integer(d, "on_hand"), integer(d, "reserved"), integer(d, "available")};
  }

  // The sandbox's charges for an order's payment (the adapter's idempotency
  // key at the provider is the payment's id, which the order shows).
  std::vector<std::string> chargesFor(const std::string& order_id) {
    const auto order = get("/api/v1/admin/orders/" + order_id, admin_);
    EXPECT_EQ(order.status, 200) << order.body;
    const auto o = parseJson(order.body);
    if (!o.IsObject() || !o.HasMember("payment") || !o["payment"].HasMember("id")) return {};
    const std::string key = text(o["payment"], "id");
    const auto r = sandbox("GET", "/v1/charges?idempotency_key=" + key);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> statuses;
    const auto d = parseJson(r.body);
    if (!d.IsObject() || !d.HasMember("items") || !d["items"].IsArray()) return statuses;
    for (const auto& c : d["items"].GetArray()) {
      std::string status = text(c, "status");
      if (c.HasMember("refunded") && c["refunded"].IsBool() && c["refunded"].GetBool()) {
        status += "+refunded";
      }
      statuses.push_back(status);
    }
    return statuses;
  }

  std::string orderStatus(const std::string& id, const std::string& token) {
    const auto r = get("/api/v1/orders/" + id, token);
    return r.status == 200 ? text(parseJson(r.body), "status") : "http " + std::to_string(r.status);
  }
};

TEST_P(CheckoutApiTest, ABuyerChecksOutWithEachPaymentMethod) {
  startShop();
  const auto lamp = createProduct("Desk Lamp", 2500, 20);
  const auto buyer = registerCustomer("buyer@example.com", "Ada Lovelace");

  // Card: guest cart, then checkout signed in.
  const auto cart = newCart();
  ASSERT_FALSE(cart.empty());
  auto r = addItem(cart, lamp, 2);
  ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
  r = get("/api/v1/carts/" + cart);
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = parseJson(r.body);
  EXPECT_EQ(integer(d, "item_count"), 2);
  EXPECT_EQ(amount(d, "subtotal"), 5000);
  ASSERT_TRUE(d["items"].IsArray() && d["items"].Size() == 1) << r.body;
  EXPECT_EQ(text(d["items"][0], "title"), "Desk Lamp");
  EXPECT_EQ(amount(d["items"][0], "unit_price"), 2500);
  EXPECT_EQ(amount(d["items"][0], "line_total"), 5000);

  r = placeOrder(buyer, "card-1", orderBody(cart, cardPayment(kApproveCard)));
  ASSERT_EQ(r.status, 201) << r.body;
  d = parseJson(r.body);
  const auto card_order = text(d, "id");
  EXPECT_EQ(text(d, "status"), "confirmed");
  EXPECT_EQ(text(d, "number").substr(0, 3), "EM-");
  EXPECT_EQ(text(d["payment"], "method"), "card");
  EXPECT_EQ(text(d["payment"], "status"), "captured");
  EXPECT_EQ(amount(d["totals"], "subtotal"), 5000);
  EXPECT_EQ(amount(d["totals"], "shipping"), 0);  // free from 50.00 by default
  EXPECT_EQ(amount(d["totals"], "total"), 5000);
  ASSERT_TRUE(d["items"].IsArray() && d["items"].Size() == 1);
  EXPECT_EQ(integer(d["items"][0], "quantity"), 2);
  EXPECT_FALSE(text(d, "created_at").empty());
  EXPECT_EQ(chargesFor(card_order), std::vector<std::string>{"succeeded"});

  // The cart was emptied; the stock is held for the order until it ships.
  d = parseJson(get("/api/v1/carts/" + cart).body);
  EXPECT_EQ(integer(d, "item_count"), 0);
  auto s = stock(lamp);
  EXPECT_EQ(s.on_hand, 20);
  EXPECT_EQ(s.reserved, 2);
  EXPECT_EQ(s.available, 18);

  // Detail with the timeline.
  r = get("/api/v1/orders/" + card_order, buyer);
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  ASSERT_TRUE(d["timeline"].IsArray());
  ASSERT_EQ(d["timeline"].Size(), 2U) << r.body;
  EXPECT_EQ(text(d["timeline"][0], "status"), "pending");
  EXPECT_EQ(text(d["timeline"][1], "status"), "confirmed");
  EXPECT_FALSE(d.HasMember("shipment"));

  // Gift card: issued by the admin, debited exactly.
  r = send("POST", "/api/v1/admin/gift-cards", R"({"code":"GIFT-100","balance":10000})", admin_);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto user_cart = parseJson(get("/api/v1/me/cart", buyer).body);
  const auto my_cart = text(user_cart, "id");
  ASSERT_FALSE(my_cart.empty());
  ASSERT_EQ(addItem(my_cart, lamp, 1, buyer).status / 100, 2);
  r = placeOrder(buyer, "gift-1",
                 orderBody(my_cart, R"({"method":"gift_card","code":"GIFT-100"})"));
  ASSERT_EQ(r.status, 201) << r.body;
  d = parseJson(r.body);
  EXPECT_EQ(text(d["payment"], "method"), "gift_card");
  EXPECT_EQ(text(d["payment"], "status"), "captured");
  EXPECT_EQ(amount(d["totals"], "shipping"), 499);  // 25.00 is under the free-shipping line
  EXPECT_EQ(amount(d["totals"], "total"), 2999);
  r = get("/api/v1/admin/gift-cards/GIFT-100", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(amount(parseJson(r.body), "balance"), 10000 - 2999);

  // Cash on delivery: confirmed with the payment pending until delivery.
  const auto cod_cart = cartWith(lamp, 1);
  r = placeOrder(buyer, "cod-1", orderBody(cod_cart, R"({"method":"cod"})"));
  ASSERT_EQ(r.status, 201) << r.body;
  d = parseJson(r.body);
  const auto cod_order = text(d, "id");
  EXPECT_EQ(text(d, "status"), "confirmed");
  EXPECT_EQ(text(d["payment"], "status"), "pending");

  // History: newest first, with a cursor.
  r = get("/api/v1/orders?limit=2", buyer);
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  ASSERT_EQ(d["items"].Size(), 2U);
  EXPECT_EQ(text(d["items"][0], "id"), cod_order);
  ASSERT_TRUE(d["next_cursor"].IsString());
  r = get("/api/v1/orders?limit=2&cursor=" + std::string(d["next_cursor"].GetString()), buyer);
  d = parseJson(r.body);
  ASSERT_EQ(d["items"].Size(), 1U) << r.body;
  EXPECT_EQ(text(d["items"][0], "id"), card_order);
  EXPECT_TRUE(d["next_cursor"].IsNull());

  // The COD order ships and is delivered: stock leaves the shelf, cash is collected.
  r = send("POST", "/api/v1/admin/orders/" + cod_order + "/ship",
           R"({"carrier":"DHL","tracking_number":"JD0123456789"})", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  EXPECT_EQ(text(d, "status"), "shipped");
  EXPECT_EQ(text(d["shipment"], "tracking_number"), "JD0123456789");
  s = stock(lamp);
  EXPECT_EQ(s.on_hand, 19);
  EXPECT_EQ(s.reserved, 3);  // card order (2) and gift-card order (1) still held
  r = send("POST", "/api/v1/admin/orders/" + cod_order + "/deliver", "{}", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(text(parseJson(r.body)["payment"], "status"), "captured");

  // The buyer cancels the card order: stock back, money back.
  r = send("POST", "/api/v1/orders/" + card_order + "/cancel", "{}", buyer);
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  EXPECT_EQ(text(d, "status"), "cancelled");
  EXPECT_EQ(text(d["payment"], "status"), "refunded");
  EXPECT_EQ(chargesFor(card_order), std::vector<std::string>{"succeeded+refunded"});
  s = stock(lamp);
  EXPECT_EQ(s.reserved, 1);
  EXPECT_EQ(s.available, 18);
  // A second cancel, or cancelling a delivered order, is refused by the state machine.
  EXPECT_TRUE(
      isProblem(send("POST", "/api/v1/orders/" + card_order + "/cancel", "{}", buyer), 409));
  EXPECT_TRUE(isProblem(send("POST", "/api/v1/orders/" + cod_order + "/cancel", "{}", buyer), 409));
  EXPECT_TRUE(isProblem(send("POST", "/api/v1/admin/orders/" + cod_order + "/ship",
                             R"({"carrier":"DHL","tracking_number":"X"})", admin_),
                        409));

  // The admin desk lists by status and refunds a delivered order.
  r = get("/api/v1/admin/orders?status=delivered", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  d = parseJson(r.body);
  ASSERT_EQ(d["items"].Size(), 1U);
  EXPECT_EQ(text(d["items"][0], "id"), cod_order);
  r = send("POST", "/api/v1/admin/orders/" + cod_order + "/refund", "{}", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(text(parseJson(r.body), "status"), "refunded");
  EXPECT_TRUE(isProblem(get("/api/v1/admin/orders?status=lost", admin_), 422));
}

TEST_P(CheckoutApiTest, BadCheckoutsGetProblemsNamingTheField) {
  startShop();
  const auto sku = createProduct("Mug", 900, 3);
  const auto buyer = registerCustomer("b@example.com");
  const auto cart = cartWith(sku, 1);
  // No key: 400. No token: 401.
  auto r = send("POST", "/api/v1/orders", orderBody(cart, R"({"method":"cod"})"), buyer);
  EXPECT_TRUE(isProblem(r, 400));
  EXPECT_EQ(errorFields(r), Fields{"Idempotency-Key"});
  EXPECT_TRUE(isProblem(placeOrder("", "k", orderBody(cart, R"({"method":"cod"})")), 401));
  r = placeOrder(buyer, "k1", orderBody(cart, R"({"method":"bitcoin"})"));
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"payment.method"});
  r = placeOrder(buyer, "k2", orderBody(cart, R"({"method":"card"})"));
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"payment.token"});
  r = placeOrder(buyer, "k3", R"({"cart_id":")" + cart + R"(","payment":{"method":"cod"}})");
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"shipping_address"});
  r = placeOrder(
      buyer, "k4",
      R"({"cart_id":")" + cart +
          R"(","shipping_address":{"name":"A","line1":"B","city":"C","postal_code":"1","country":"Germany"},"payment":{"method":"cod"}})");
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"shipping_address.country"});
  r = placeOrder(buyer, "k5", orderBody("cart_doesnotexist", R"({"method":"cod"})"));
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"cart_id"});
  r = placeOrder(buyer, "k6", R"({"cart_id": 5})");
  EXPECT_EQ(r.status / 100, 4) << r.body;
  r = placeOrder(buyer, "k7", "not json");
  EXPECT_TRUE(isProblem(r, 400));
  r = placeOrder(buyer, "k8", orderBody(cart, R"({"method":"gift_card","code":"NOPE-1"})"));
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"payment.code"});
  // A problem before the order existed leaves the key free: fixed, it goes through.
  r = placeOrder(buyer, "k3", orderBody(cart, R"({"method":"cod"})"));
  EXPECT_EQ(r.status, 201) << r.body;
  // Empty cart now.
  r = placeOrder(buyer, "k9", orderBody(cart, R"({"method":"cod"})"));
  EXPECT_TRUE(isProblem(r, 422));
  // Cart rules.
  const auto other = newCart();
  EXPECT_TRUE(isProblem(addItem(other, "NO-SUCH-SKU", 1), 404));
  EXPECT_TRUE(isProblem(addItem(other, sku, 0), 422));
  EXPECT_TRUE(isProblem(addItem(other, sku, 100), 422));
  r = addItem(other, sku, 3);  // 2 left after the order above
  EXPECT_TRUE(isProblem(r, 422));
  EXPECT_EQ(errorFields(r), Fields{"quantity"});
  EXPECT_TRUE(isProblem(get("/api/v1/carts/cart_doesnotexist"), 404));
}

TEST_P(CheckoutApiTest, AKeyReplaysTheFirstResponseAndRefusesAnotherBody) {
  startShop();
  const auto sku = createProduct("Kettle", 4000, 10);
  const auto buyer = registerCustomer("k@example.com");
  const auto cart = cartWith(sku, 1);
  const auto body = orderBody(cart, R"({"method":"cod"})");
  const auto first = placeOrder(buyer, "same-key", body);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto again = placeOrder(buyer, "same-key", body);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  const auto other =
      placeOrder(buyer, "same-key", orderBody(cart, R"({"method":"card","token":"tok_x"})"));
  EXPECT_TRUE(isProblem(other, 422));
  EXPECT_EQ(errorFields(other), Fields{"Idempotency-Key"});
  // Another user's identical key is theirs alone.
  const auto second_buyer = registerCustomer("k2@example.com");
  const auto r =
      placeOrder(second_buyer, "same-key", orderBody(cartWith(sku, 1), R"({"method":"cod"})"));
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_NE(text(parseJson(r.body), "id"), text(parseJson(first.body), "id"));
  EXPECT_EQ(stock(sku).reserved, 2);
}

TEST_P(CheckoutApiTest, TwentyCopiesOfOneKeyMakeOneOrderAndOneCharge) {
  startShop();
  const auto sku = createProduct("Toaster", 3000, 10);
  const auto buyer = registerCustomer("t@example.com");
  const auto body = orderBody(cartWith(sku, 1), cardPayment(kApproveCard));
  std::vector<HttpReply> replies(20);
  std::latch start(20);
  std::vector<std::thread> threads;
  threads.reserve(20);
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      replies[i] = placeOrder(buyer, "burst-key", body);
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  for (const auto& r : replies) {
    ASSERT_EQ(r.status, 201) << r.body;
    ids.insert(text(parseJson(r.body), "id"));
  }
  ASSERT_EQ(ids.size(), 1U);
  EXPECT_EQ(chargesFor(*ids.begin()), std::vector<std::string>{"succeeded"});
  const auto list = parseJson(get("/api/v1/orders", buyer).body);
  EXPECT_EQ(list["items"].Size(), 1U);
  EXPECT_EQ(stock(sku).reserved, 1);
}

TEST_P(CheckoutApiTest, TwoHundredBuyersRaceForTenUnits) {
  startShop();
  const auto sku = createProduct("Limited Edition", 10000, 10);
  constexpr int kBuyers = 200;
  constexpr int kAccounts = 10;  // argon2 makes registration slow; keys are per request
  std::vector<std::string> tokens;
  tokens.reserve(kAccounts);
  for (int i = 0; i < kAccounts; ++i) {
    tokens.push_back(registerCustomer("racer" + std::to_string(i) + "@example.com"));
  }
  std::vector<std::string> carts;
  carts.reserve(kBuyers);
  for (int i = 0; i < kBuyers; ++i) carts.push_back(cartWith(sku, 1));
  // Every cart was filled while 10 were available; the race is at checkout.
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  constexpr int kThreads = 40;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = t; i < kBuyers; i += kThreads) {
        const auto r = placeOrder(tokens[i % kAccounts], "race-" + std::to_string(i),
                                  orderBody(carts[i], R"({"method":"cod"})"));
        if (r.status == 201) {
          ++created;
        } else if (r.status == 409) {
          ++refused;
        } else {
          ++other;
          ADD_FAILURE() << r.status << " " << r.body;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(refused.load(), kBuyers - 10);
  EXPECT_EQ(other.load(), 0);
  const auto s = stock(sku);
  EXPECT_EQ(s.on_hand, 10);
  EXPECT_EQ(s.reserved, 10);
  EXPECT_EQ(s.available, 0);
  const auto confirmed =
      parseJson(get("/api/v1/admin/orders?status=confirmed&limit=100", admin_).body);
  EXPECT_EQ(confirmed["items"].Size(), 10U);
}

TEST_P(CheckoutApiTest, DeclinesGive402AndPutTheStockBack) {
  startShop();
  const auto sku = createProduct("Chair", 6000, 5);
  const auto buyer = registerCustomer("d@example.com");
  auto r = placeOrder(buyer, "decline", orderBody(cartWith(sku, 2), cardPayment(kDeclineCard)));
  EXPECT_TRUE(isProblem(r, 402));
  r = placeOrder(buyer, "nofunds", orderBody(cartWith(sku, 2), cardPayment(kNoFundsCard)));
  EXPECT_TRUE(isProblem(r, 402));
  EXPECT_NE(r.body.find("insufficient"), std::string::npos) << r.body;
  auto s = stock(sku);
  EXPECT_EQ(s.reserved, 0);
  EXPECT_EQ(s.available, 5);
  // A refused checkout is no order to the buyer; the owner sees the attempts.
  EXPECT_EQ(parseJson(get("/api/v1/orders", buyer).body)["items"].Size(), 0U);
  const auto failed = parseJson(get("/api/v1/admin/orders?status=failed", admin_).body);
  ASSERT_EQ(failed["items"].Size(), 2U);
  for (const auto& o : failed["items"].GetArray()) {
    EXPECT_EQ(text(o, "status"), "failed");
    EXPECT_EQ(text(o["payment"], "status"), "declined");
  }
  // Gift card without enough balance: declined too, balance untouched.
  ASSERT_EQ(send("POST", "/api/v1/admin/gift-cards", R"({"code":"SMALL-1","balance":100})", admin_)
                .status,
            201);
  r = placeOrder(buyer, "small-gift",
                 orderBody(cartWith(sku, 1), R"({"method":"gift_card","code":"SMALL-1"})"));
  EXPECT_TRUE(isProblem(r, 402));
  EXPECT_EQ(amount(parseJson(get("/api/v1/admin/gift-cards/SMALL-1", admin_).body), "balance"),
            100);
  EXPECT_EQ(stock(sku).reserved, 0);
}

TEST_P(CheckoutApiTest, TransientProviderErrorsAreRetriedWithOneCharge) {
  startShop();
  const auto sku = createProduct("Blender", 7000, 5);
  const auto buyer = registerCustomer("r@example.com");
  // This test card fails twice with a 503, then approves.
  auto r = placeOrder(buyer, "flaky", orderBody(cartWith(sku, 1), cardPayment(kTransientCard)));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(chargesFor(text(parseJson(r.body), "id")), std::vector<std::string>{"succeeded"});
  // The lost-response case: the provider charges, then the answer is lost.
  const auto token = cardPayment(kApproveCard);
  ASSERT_EQ(sandbox("POST", "/v1/control", R"({"fail_mode":"after","fail_next":1})").status, 200);
  r = placeOrder(buyer, "lost-answer", orderBody(cartWith(sku, 1), token));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(chargesFor(text(parseJson(r.body), "id")), std::vector<std::string>{"succeeded"});
  EXPECT_EQ(stock(sku).reserved, 2);
}

TEST_P(CheckoutApiTest, AProviderThatIsDownOpensTheBreakerAndNothingStaysReserved) {
  const ClosedPort dead;  // bound, never listening: connections are refused
  const auto dead_port = dead.port();
  startShop({{"EMPORIUM_PAYMENT_PROVIDER_URL", "http://127.0.0.1:" + std::to_string(dead_port)}});
  const auto sku = createProduct("Sofa", 50000, 3);
  const auto buyer = registerCustomer("p@example.com");
  std::chrono::milliseconds last{0};
  for (int i = 0; i < 8; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto r =
        placeOrder(buyer, "down-" + std::to_string(i),
                   orderBody(cartWith(sku, 1), R"({"method":"card","token":"tok_any"})"));
    last = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
    ASSERT_TRUE(isProblem(r, 503));
    EXPECT_FALSE(r.header("retry-after").empty());
  }
  // Once open, the breaker answers without trying the network (or its retries).
  EXPECT_LT(last.count(), 500) << "the breaker did not fail fast";
  const auto s = stock(sku);
  EXPECT_EQ(s.reserved, 0);
  EXPECT_EQ(s.available, 3);
  // A failed attempt frees its key: the buyer may retry with the same one.
  const auto r = placeOrder(buyer, "down-0", orderBody(cartWith(sku, 1), R"({"method":"cod"})"));
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_P(CheckoutApiTest, UsersCannotSeeOrTouchEachOthersCartsAndOrders) {
  startShop();
  const auto sku = createProduct("Pen", 300, 50);
  const auto alice = registerCustomer("alice@example.com", "Alice A");
  const auto bob = registerCustomer("bob@example.com", "Bob B");
  const auto alice_cart = text(parseJson(get("/api/v1/me/cart", alice).body), "id");
  ASSERT_FALSE(alice_cart.empty());
  ASSERT_EQ(addItem(alice_cart, sku, 2, alice).status / 100, 2);
  EXPECT_TRUE(isProblem(get("/api/v1/carts/" + alice_cart, bob), 404));
  EXPECT_TRUE(isProblem(get("/api/v1/carts/" + alice_cart), 404));
  EXPECT_TRUE(isProblem(addItem(alice_cart, sku, 1, bob), 404));
  EXPECT_TRUE(
      isProblem(send("DELETE", "/api/v1/carts/" + alice_cart + "/items/" + sku, "", bob), 404));
  EXPECT_TRUE(isProblem(
      send("POST", "/api/v1/me/cart/merge", "{\"cart_id\":" + jsonQuote(alice_cart) + "}", bob),
      404));
  EXPECT_EQ(placeOrder(bob, "steal", orderBody(alice_cart, R"({"method":"cod"})")).status, 422);
  const auto r = placeOrder(alice, "mine", orderBody(alice_cart, R"({"method":"cod"})"));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto order = text(parseJson(r.body), "id");
  EXPECT_TRUE(isProblem(get("/api/v1/orders/" + order, bob), 404));
  EXPECT_TRUE(isProblem(send("POST", "/api/v1/orders/" + order + "/cancel", "{}", bob), 404));
  EXPECT_EQ(parseJson(get("/api/v1/orders", bob).body)["items"].Size(), 0U);
  // Customers are not admins.
  EXPECT_TRUE(isProblem(get("/api/v1/admin/orders", alice), 403));
  EXPECT_TRUE(isProblem(send("POST", "/api/v1/admin/orders/" + order + "/ship",
                             R"({"carrier":"X","tracking_number":"Y"})", alice),
                        403));
  // A guest cart merges into the signed-in cart.
  const auto guest = cartWith(sku, 3);
  const auto merged =
      send("POST", "/api/v1/me/cart/merge", "{\"cart_id\":" + jsonQuote(guest) + "}", bob);
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(integer(parseJson(merged.body), "item_count"), 3);
  EXPECT_TRUE(isProblem(get("/api/v1/carts/" + guest), 404));
}

// The process dies right after each saga step (a test hook); after a restart
// the sweeper must leave the order confirmed with the cart emptied, or the
// checkout failed (no order for the buyer) with the stock and the money given
// back, and a replay of the key must tell the outcome. A crash right after
// claiming the key must not leave it "in progress" forever.
TEST_P(CheckoutApiTest, ACrashBetweenAnyTwoSagaStepsIsRecovered) {
  startShop();
  const auto sku = createProduct("Crash Test Dummy", 1500, 40);
  const auto buyer = registerCustomer("c@example.com");
  const std::map<std::string, int> steps = {{"key_claimed", -1},    {"order_created", 0},
                                            {"stock_reserved", 1},  {"payment_taken", 2},
                                            {"stock_confirmed", 3}, {"order_confirmed", 4}};
  // The sweeper may only take checkouts older than the worst-case charge.
  // (4 x 400 ms + 350 ms of backoff = 1950 ms.)
  const Headers fast_recovery = {{"EMPORIUM_ORDERS_RECOVER_AFTER_MS", "2000"},
                                 {"EMPORIUM_PAYMENT_PROVIDER_TIMEOUT_MS", "400"}};
  for (const auto& [step, index] : steps) {
    SCOPED_TRACE(step);
    for (const bool card : {true, false}) {
      SCOPED_TRACE(card ? "card" : "cod");
      stopServers(false);
      auto crashing = fast_recovery;
      crashing["EMPORIUM_TEST_CRASH_AT"] = step;
      ASSERT_NE(startServer(crashing), 0);
      const auto key = "crash-" + step + (card ? "-card" : "-cod");
      const auto cart = cartWith(sku, 2);
      const auto body = orderBody(cart, card ? cardPayment(kApproveCard) : R"({"method":"cod"})");
      bool died = false;
      try {
        const auto lost = placeOrder(buyer, key, body);
        // In the services topology the orders service dies, and the gateway
        // in front says so.
        died = services() && lost.status == 503 &&
               lost.body.find("the orders service is not answering") != std::string::npos;
        if (!died) {
          ADD_FAILURE() << "the process should have died: " << lost.status << " " << lost.body;
        }
      } catch (const std::runtime_error&) {
        died = true;  // the connection closed without a response
      }
      EXPECT_TRUE(died);
      stopServers(true);
      ASSERT_NE(startServer(fast_recovery), 0);
      // The replay waits for, then reports, what recovery decided.
      HttpReply replay;
      ASSERT_TRUE(eventually(
          [&] {
            replay = placeOrder(buyer, key, body);
            return replay.status == 201 || replay.status == 409;
          },
          30s))
          << replay.status << " " << replay.body;
      if (replay.status == 201) {
        const auto id = text(parseJson(replay.body), "id");
        EXPECT_EQ(orderStatus(id, buyer), "confirmed");
        if (card) EXPECT_EQ(chargesFor(id), std::vector<std::string>{"succeeded"});
        // As after a checkout that was not interrupted, the cart is emptied.
        EXPECT_TRUE(eventually(
            [&] {
              return integer(parseJson(get("/api/v1/carts/" + cart).body), "item_count") == 0;
            },
            30s));
      } else {
        // A failed checkout: not the buyer's order, the owner's record.
        const auto failed =
            parseJson(get("/api/v1/admin/orders?status=failed&limit=1", admin_).body);
        ASSERT_EQ(failed["items"].Size(), 1U);
        const auto id = text(failed["items"][0], "id");
        EXPECT_TRUE(isProblem(get("/api/v1/orders/" + id, buyer), 404));
        for (const auto& c : chargesFor(id)) EXPECT_EQ(c, "succeeded+refunded");
        EXPECT_EQ(integer(parseJson(get("/api/v1/carts/" + cart).body), "item_count"), 2);
      }
      // The payment was taken before the crash in the later steps: those
      // finish forward; a crash before the order existed leaves a key a retry reuses.
      if (index >= 2 || index < 0) EXPECT_EQ(replay.status, 201) << replay.body;
    }
  }
  // Every confirmed order holds its 2 units; nothing else is held.
  const auto confirmed =
      parseJson(get("/api/v1/admin/orders?status=confirmed&limit=100", admin_).body);
  // (A failed checkout's replay answers once its status is committed; its
  // stock is released right after.)
  const auto held = 2 * static_cast<std::int64_t>(confirmed["items"].Size());
  EXPECT_TRUE(eventually([&] { return stock(sku).reserved == held; }, 10s)) << stock(sku).reserved;
  EXPECT_EQ(stock(sku).on_hand, 40);
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckoutApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, CheckoutApiTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
