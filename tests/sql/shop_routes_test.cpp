// The inventory and cart routes through the router and the dispatcher (no
// sockets) on both backends: status codes, problem fields and bodies as the
// contract names them. The catalog is a fake catalog::Client; the rest is real.

#include <rapidjson/document.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/events/activity_log.hpp"
#include "core/http/dispatch.hpp"
#include "core/sql/migrations.hpp"
#include "services/cart/cart_service.hpp"
#include "services/cart/http/routes.hpp"
#include "services/cart/storage/schema.hpp"
#include "services/inventory/http/routes.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/inventory/storage/schema.hpp"
#include "sql_test_support.hpp"
#include "support/fakes/fake_catalog.hpp"

namespace emporium::sql::test {
namespace {

using http::Method;

/// Tokens are the user ids; "root" is an admin.
class Tokens final : public http::Authenticator {
 public:
  std::optional<http::Principal> verify(std::string_view token) const override {
    if (token.empty() || token == "bad") return std::nullopt;
    return http::Principal{std::string(token), token == "root" ? "admin" : "customer", "jti"};
  }
};

struct Reply {
  int status = 0;
  rapidjson::Document json;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string field() const {  // the first problem field, or ""
    if (!json.IsObject() || !json.HasMember("errors") || json["errors"].Empty()) return "";
    return json["errors"][0]["field"].GetString();
  }
  std::string text(const char* name) const { return json[name].GetString(); }
};

// Keeps what the routes record, so a test can check it.
class RecordingActivityLog final : public events::ActivityLog {
 public:
  void record(std::string_view type, std::string payload) override {
    const std::lock_guard lock(mutex_);
    recorded_.emplace_back(std::string(type), std::move(payload));
  }
  void flush() override {}
  std::size_t replay(std::chrono::system_clock::time_point /*from*/,
                     const std::function<void(const events::Event&)>& /*sink*/) override {
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> recorded() const {
    const std::lock_guard lock(mutex_);
    return recorded_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> recorded_;
};

class ShopRoutesTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    inventory_db_ = open(service_ + "_inventory");
    applyMigrations(*inventory_db_, inventory::migrations());
    cart_db_ = open(service_ + "_cart");
    applyMigrations(*cart_db_, cart::migrations());
    inventory_outbox_ = std::make_unique<events::Outbox>("inventory", *inventory_db_, doorbell_);
    inventory_ =
        std::make_unique<inventory::InventoryService>(*inventory_db_, *inventory_outbox_, 0);
    carts_ = std::make_unique<cart::CartService>(*cart_db_, catalog_, *inventory_);
    api_ =
        std::make_unique<inventory::InventoryApi>(inventory::InventoryApi{*inventory_, catalog_});
    inventory::addRoutes(router_, *api_);
    cart::addRoutes(router_, *carts_, activity_);
    ctx_.authenticator = &tokens_;
    catalog_.put(catalog::SkuInfo{"MUG-1", 12, "Mug", 1200, "USD", true});
    catalog_.put(catalog::SkuInfo{"TEE-1", 13, "Tee", 1999, "USD", true});
    catalog_.put(catalog::SkuInfo{"OLD-1", 14, "Old", 500, "USD", false});
    inventory_->setOnHand("MUG-1", 5);
    inventory_->setOnHand("TEE-1", 500);
  }

  Reply call(Method method, const std::string& path, const std::string& body = "",
             const std::string& token = "") {
    http::Request req;
    req.method = method;
    req.target = path;
    req.path = path;
    req.body = body;
    req.request_id = "test";
    const std::string authorization = "Bearer " + token;
    if (!token.empty()) req.headers.push_back({"Authorization", authorization});
    req.headers.push_back({"Content-Type", "application/json"});
    const auto match = router_.match(method, path);
    http::Response res;
    if (match.route == nullptr) {
      res = http::unmatchedResponse(match, req);
    } else {
      req.path_params = match.params;
      res = http::invokeRoute(*match.route, req, ctx_);
    }
    Reply reply;
    reply.status = res.status;
    reply.body = res.body;
    reply.headers = res.headers;
    if (!res.body.empty()) reply.json.Parse(res.body.c_str());
    return reply;
  }

  std::string newCart() {
    const auto r = call(Method::kPost, "/api/v1/carts");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.text("id");
  }

  ::emporium::test::FakeCatalog catalog_;
  Tokens tokens_;
  std::unique_ptr<Database> inventory_db_;
  std::unique_ptr<Database> cart_db_;
  events::Doorbell doorbell_;
  RecordingActivityLog activity_;
  std::unique_ptr<events::Outbox> inventory_outbox_;
  std::unique_ptr<inventory::InventoryService> inventory_;
  std::unique_ptr<cart::CartService> carts_;
  std::unique_ptr<inventory::InventoryApi> api_;
  http::Router router_;
  http::DispatchContext ctx_;
};

TEST_P(ShopRoutesTest, AdminInventory) {
  const std::string path = "/api/v1/admin/inventory/MUG-1";
  EXPECT_EQ(call(Method::kGet, path).status, 401);
  EXPECT_EQ(call(Method::kGet, path, "", "alice").status, 403);
  auto r = call(Method::kGet, path, "", "root");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.text("sku"), "MUG-1");
  EXPECT_EQ(r.json["on_hand"].GetInt64(), 5);
  EXPECT_EQ(r.json["reserved"].GetInt64(), 0);
  EXPECT_EQ(r.json["available"].GetInt64(), 5);

  r = call(Method::kPut, path, R"({"on_hand":8})", "root");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["available"].GetInt64(), 8);
  for (const char* bad : {R"({"on_hand":-1})", R"({"on_hand":"7"})", R"({"on_hand":1.5})", "{}",
                          R"({"on_hand":99999999999999999999999})"}) {
    r = call(Method::kPut, path, bad, "root");
    EXPECT_EQ(r.status, 422) << bad << " " << r.body;
    EXPECT_EQ(r.field(), "on_hand") << bad;
  }
  EXPECT_EQ(call(Method::kPut, path, "{", "root").status, 400);

  const std::vector<inventory::ReservationLine> lines{{"MUG-1", 6}};
  ASSERT_TRUE(inventory_->reserve("order-1", lines, std::chrono::seconds(60)).reserved);
  EXPECT_EQ(call(Method::kPut, path, R"({"on_hand":5})", "root").status, 409);
  r = call(Method::kGet, path, "", "root");
  EXPECT_EQ(r.json["reserved"].GetInt64(), 6);
  EXPECT_EQ(r.json["available"].GetInt64(), 2);

  // Known to the catalog only: created by PUT (and shown as empty before).
  catalog_.put(catalog::SkuInfo{"NEW-1", 15, "New", 100, "USD", true});
  EXPECT_EQ(
      call(Method::kGet, "/api/v1/admin/inventory/NEW-1", "", "root").json["on_hand"].GetInt64(),
      0);
  r = call(Method::kPut, "/api/v1/admin/inventory/NEW-1", R"({"on_hand":3})", "root");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(inventory_->level("NEW-1")->on_hand, 3);
  EXPECT_EQ(call(Method::kGet, "/api/v1/admin/inventory/NOPE-1", "", "root").status, 404);
  EXPECT_EQ(call(Method::kPut, "/api/v1/admin/inventory/NOPE-1", R"({"on_hand":3})", "root").status,
            404);
  EXPECT_EQ(call(Method::kGet, "/api/v1/admin/inventory/%FF%00", "", "root").status, 404);
}

TEST_P(ShopRoutesTest, GuestCartLifecycle) {
  const auto created = call(Method::kPost, "/api/v1/carts");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.text("id");
  EXPECT_TRUE(created.json["items"].Empty());
  EXPECT_EQ(created.json["item_count"].GetInt64(), 0);
  EXPECT_EQ(created.json["subtotal"]["amount"].GetInt64(), 0);
  EXPECT_EQ(created.json["subtotal"]["currency"].GetString(), std::string("USD"));
  bool has_location = false;
  for (const auto& [name, value] : created.headers) {
    if (name == "Location") has_location = value == "/api/v1/carts/" + id;
  }
  EXPECT_TRUE(has_location);

  const std::string items = "/api/v1/carts/" + id + "/items";
  auto r = call(Method::kPost, items, R"({"sku":"MUG-1","quantity":2})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = call(Method::kPost, items, R"({"sku":"MUG-1","quantity":1})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["items"].Size(), 1U);
  const auto activity = activity_.recorded();
  ASSERT_EQ(activity.size(), 2U);  // each add, for analytics
  EXPECT_EQ(activity[1].first, "activity.cart_item_added");
  EXPECT_EQ(activity[1].second, R"({"cart_id":")" + id + R"(","sku":"MUG-1","quantity":1})");
  const auto& line = r.json["items"][0];
  EXPECT_EQ(line["sku"].GetString(), std::string("MUG-1"));
  EXPECT_EQ(line["product_id"].GetString(), std::string("12"));
  EXPECT_EQ(line["title"].GetString(), std::string("Mug"));
  EXPECT_EQ(line["quantity"].GetInt64(), 3);
  EXPECT_EQ(line["unit_price"]["amount"].GetInt64(), 1200);
  EXPECT_EQ(line["line_total"]["amount"].GetInt64(), 3600);
  EXPECT_EQ(r.json["item_count"].GetInt64(), 3);
  EXPECT_EQ(r.json["subtotal"]["amount"].GetInt64(), 3600);

  // Refusals, each naming its field.
  const std::vector<std::tuple<std::string, int, std::string>> cases = {
      {R"({"sku":"MUG-1","quantity":3})", 422, "quantity"},  // 6 > 5 available
      {R"({"sku":"TEE-1","quantity":100})", 422, "quantity"},
      {R"({"sku":"TEE-1","quantity":0})", 422, "quantity"},
      {R"({"sku":"TEE-1","quantity":"2"})", 422, "quantity"},
      {R"({"sku":"TEE-1"})", 422, "quantity"},
      {R"({"sku":"TEE-1","quantity":1e40})", 422, "quantity"},
      {R"({"quantity":1})", 422, "sku"},
      {R"({"sku":7,"quantity":1})", 422, "sku"},
      {R"({"sku":"NOPE-1","quantity":1})", 404, "sku"},
      {R"({"sku":"OLD-1","quantity":1})", 404, "sku"},
      {R"({"sku":"bad sku!","quantity":1})", 404, "sku"},
  };
  for (const auto& [body, status, field] : cases) {
    r = call(Method::kPost, items, body);
    EXPECT_EQ(r.status, status) << body << " " << r.body;
    EXPECT_EQ(r.field(), field) << body;
  }
  r = call(Method::kPost, items, R"({"sku":"MUG-1","quantity":3})");
  EXPECT_NE(r.text("detail").find("the 5 available"), std::string::npos) << r.body;
  EXPECT_EQ(call(Method::kPost, items, "[1]").status, 400);

  EXPECT_EQ(call(Method::kPatch, items + "/MUG-1", R"({"quantity":5})").status, 200);
  r = call(Method::kPatch, items + "/MUG-1", R"({"quantity":6})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.field(), "quantity");
  EXPECT_EQ(call(Method::kPatch, items + "/TEE-1", R"({"quantity":1})").status, 404);
  EXPECT_EQ(call(Method::kPatch, items + "/MUG-1", R"({"quantity":-1})").status, 422);
  r = call(Method::kPatch, items + "/MUG-1", R"({"quantity":0})");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.json["items"].Empty());

  ASSERT_EQ(call(Method::kPost, items, R"({"sku":"TEE-1","quantity":1})").status, 201);
  EXPECT_EQ(call(Method::kDelete, items + "/TEE-1").status, 204);
  EXPECT_EQ(call(Method::kDelete, items + "/TEE-1").status, 204);
  EXPECT_TRUE(call(Method::kGet, "/api/v1/carts/" + id).json["items"].Empty());

  // Unknown or malformed cart ids.
  EXPECT_EQ(call(Method::kGet, "/api/v1/carts/cart_aaaaaaaaaaaaaaaaaaaaaaaaaa").status, 404);
  EXPECT_EQ(call(Method::kGet, "/api/v1/carts/%FF").status, 404);
  EXPECT_EQ(
      call(Method::kPost, "/api/v1/carts/nope/items", R"({"sku":"MUG-1","quantity":1})").status,
      404);
  EXPECT_EQ(call(Method::kDelete, "/api/v1/carts/nope/items/MUG-1").status, 404);
}

TEST_P(ShopRoutesTest, UserCartAndMerge) {
  EXPECT_EQ(call(Method::kGet, "/api/v1/me/cart").status, 401);
  auto mine = call(Method::kGet, "/api/v1/me/cart", "", "alice");
  ASSERT_EQ(mine.status, 200) << mine.body;
  const std::string my_id = mine.text("id");
  EXPECT_EQ(call(Method::kGet, "/api/v1/me/cart", "", "alice").text("id"), my_id);
  ASSERT_EQ(call(Method::kPost, "/api/v1/carts/" + my_id + "/items",
                 R"({"sku":"TEE-1","quantity":98})", "alice")
                .status,
            201);
  // Someone else's cart is not found, for guests and other users alike.
  EXPECT_EQ(call(Method::kGet, "/api/v1/carts/" + my_id).status, 404);
  EXPECT_EQ(call(Method::kGet, "/api/v1/carts/" + my_id, "", "bob").status, 404);
  EXPECT_EQ(call(Method::kPost, "/api/v1/carts/" + my_id + "/items",
                 R"({"sku":"TEE-1","quantity":1})", "bob")
                .status,
            404);
  EXPECT_EQ(call(Method::kGet, "/api/v1/carts/" + my_id, "", "alice").status, 200);

  const std::string guest = newCart();
  ASSERT_EQ(
      call(Method::kPost, "/api/v1/carts/" + guest + "/items", R"({"sku":"TEE-1","quantity":5})")
          .status,
      201);
  ASSERT_EQ(
      call(Method::kPost, "/api/v1/carts/" + guest + "/items", R"({"sku":"MUG-1","quantity":1})")
          .status,
      201);
  auto r = call(Method::kPost, "/api/v1/me/cart/merge", R"({"cart_id":")" + guest + "\"}", "alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.text("id"), my_id);
  EXPECT_EQ(r.json["item_count"].GetInt64(), 100);  // 99 tees (capped) + 1 mug
  EXPECT_EQ(call(Method::kGet, "/api/v1/carts/" + guest).status, 404);
  EXPECT_EQ(call(Method::kPost, "/api/v1/me/cart/merge", R"({"cart_id":")" + guest + "\"}", "alice")
                .status,
            404);
  EXPECT_EQ(call(Method::kPost, "/api/v1/me/cart/merge", R"({"cart_id":")" + my_id + "\"}", "alice")
                .status,
            200);
  EXPECT_EQ(
      call(Method::kPost, "/api/v1/me/cart/merge", R"({"cart_id":")" + my_id + "\"}", "bob").status,
      404);
  r = call(Method::kPost, "/api/v1/me/cart/merge", "{}", "alice");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.field(), "cart_id");
  EXPECT_EQ(call(Method::kPost, "/api/v1/me/cart/merge", R"({"cart_id":"x"})", "alice").status,
            404);
}

INSTANTIATE_TEST_SUITE_P(Backends, ShopRoutesTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
