// The contract inventory::Client promises, run over every implementation: the
// in-process InventoryService over a real database on both backends, the
// RemoteClient calling that service's internal routes over real HTTP, and the
// fake that other services' tests use. A behaviour the fake or the wire lacks
// fails here, not in those tests.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "contract_support.hpp"
#include "core/events/outbox.hpp"
#include "core/http/service_credential.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/http_client.hpp"
#include "core/net/peer_error.hpp"
#include "core/net/server.hpp"
#include "internal_server.hpp"
#include "services/inventory/http/internal_routes.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/inventory/remote_client.hpp"
#include "services/inventory/storage/schema.hpp"
#include "support/fakes/fake_inventory.hpp"

namespace emporium::inventory {
namespace {

using namespace std::chrono_literals;
using sql::test::Backend;

// InventoryService over a fresh inventory database of its own on one backend.
template <Backend kBackend>
class LocalInventory {
 public:
  static std::optional<std::string> unavailable() {
    return sql::test::OwnDatabase<kBackend>::unavailable();
  }

  void start() {
    auto& db = db_.open("inventory_client", migrations());
    outbox_ = std::make_unique<events::Outbox>("inventory", db, doorbell_);
    service_ = std::make_unique<InventoryService>(db, *outbox_, /*low_stock_threshold=*/0);
  }

  Client& client() { return *service_; }

 private:
  sql::test::OwnDatabase<kBackend> db_;  // first: outlives what uses it
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<InventoryService> service_;
};

constexpr const char* kSecret = "contract-test-service-credential-0123456789";

// Inventory's internal routes over `inventory`, on a loopback port.
std::unique_ptr<sql::test::InternalServer> internalServer(
    Client& inventory, const http::ServiceCredential& credential) {
  return std::make_unique<sql::test::InternalServer>(
      [&](http::Router& router) { addInternalRoutes(router, inventory, credential); });
}

// RemoteClient -> HTTP -> internal routes -> InventoryService on kBackend.
template <Backend kBackend>
class RemoteInventory : public sql::test::RemoteSubject<LocalInventory<kBackend>, RemoteClient> {};

class FakeSubject {
 public:
  static std::optional<std::string> unavailable() { return std::nullopt; }
  void start() {}
  Client& client() { return fake_; }

 private:
  emporium::test::FakeInventory fake_;
};

template <class Subject>
class InventoryContract : public sql::test::ContractTest<Subject> {
 protected:
  void SetUp() override {
    sql::test::ContractTest<Subject>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    ASSERT_EQ(client().setOnHand("A-1", 5).status, SetOnHandStatus::kDone);
    ASSERT_EQ(client().setOnHand("B-2", 1).status, SetOnHandStatus::kDone);
  }

  Client& client() { return this->subject_.client(); }

  /// {on_hand, reserved} of one SKU; {-1, -1} when inventory has no row.
  std::pair<std::int64_t, std::int64_t> level(const std::string& sku) {
    const std::vector<std::string> skus{sku};
    const auto found = client().levels(skus);
    if (found.empty()) return {-1, -1};
    return {found[0].on_hand, found[0].reserved};
  }
};

struct SubjectNames {
  template <class Subject>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<Subject, LocalInventory<Backend::kSqlite>>) return "LocalSqlite";
    if constexpr (std::is_same_v<Subject, LocalInventory<Backend::kPostgres>>) {
      return "LocalPostgres";
    }
    if constexpr (std::is_same_v<Subject, RemoteInventory<Backend::kSqlite>>) return "RemoteSqlite";
    if constexpr (std::is_same_v<Subject, RemoteInventory<Backend::kPostgres>>) {
      return "RemotePostgres";
    }
    return "Fake";
  }
};

using Subjects =
    ::testing::Types<LocalInventory<Backend::kSqlite>, LocalInventory<Backend::kPostgres>,
                     RemoteInventory<Backend::kSqlite>, RemoteInventory<Backend::kPostgres>,
                     FakeSubject>;
TYPED_TEST_SUITE(InventoryContract, Subjects, SubjectNames);

using Pair = std::pair<std::int64_t, std::int64_t>;

TYPED_TEST(InventoryContract, ReserveIsAllOrNothing) {
  auto& client = this->client();
  // B-2 lacks one unit and Z-9 does not exist: nothing is held, the short
  // SKUs come back sorted.
  const std::vector<ReservationLine> too_much{{"Z-9", 1}, {"B-2", 2}, {"A-1", 2}};
  const auto refused = client.reserve("ord_1", too_much, 60s);
  EXPECT_FALSE(refused.reserved);
  EXPECT_EQ(refused.short_skus, (std::vector<std::string>{"B-2", "Z-9"}));
  EXPECT_EQ(this->level("A-1"), (Pair{5, 0}));
  EXPECT_EQ(this->level("B-2"), (Pair{1, 0}));
  EXPECT_FALSE(client.confirm("ord_1")) << "a refused order holds nothing";

  // Lines of one SKU add up.
  const std::vector<ReservationLine> fits{{"A-1", 1}, {"B-2", 1}, {"A-1", 1}};
  const auto held = client.reserve("ord_2", fits, 60s);
  EXPECT_TRUE(held.reserved);
  EXPECT_TRUE(held.short_skus.empty());
  EXPECT_EQ(this->level("A-1"), (Pair{5, 2}));
  EXPECT_EQ(this->level("B-2"), (Pair{1, 1}));
  // What is held is not available to the next order.
  const std::vector<ReservationLine> last{{"B-2", 1}};
  EXPECT_FALSE(client.reserve("ord_3", last, 60s).reserved);
}

TYPED_TEST(InventoryContract, EveryStepIsIdempotent) {
  auto& client = this->client();
  const std::vector<ReservationLine> lines{{"A-1", 2}};
  ASSERT_TRUE(client.reserve("ord_1", lines, 60s).reserved);
  ASSERT_TRUE(client.reserve("ord_1", lines, 60s).reserved);
  EXPECT_EQ(this->level("A-1"), (Pair{5, 2})) << "a repeated reserve holds no more";
  EXPECT_TRUE(client.confirm("ord_1"));
  EXPECT_TRUE(client.confirm("ord_1"));
  client.fulfil("ord_1");
  client.fulfil("ord_1");
  EXPECT_EQ(this->level("A-1"), (Pair{3, 0})) << "a repeated fulfil ships nothing more";
  EXPECT_TRUE(client.confirm("ord_1")) << "confirmed (and fulfilled) already";
  EXPECT_TRUE(client.reserve("ord_1", lines, 60s).reserved) << "it used its stock";
  EXPECT_EQ(this->level("A-1"), (Pair{3, 0}));

  ASSERT_TRUE(client.reserve("ord_2", lines, 60s).reserved);
  client.release("ord_2");
  client.release("ord_2");
  EXPECT_EQ(this->level("A-1"), (Pair{3, 0})) << "a repeated release frees nothing more";

  const std::vector<ReservationLine> back{{"A-1", 1}};
  client.returnToStock("orf_1", back);
  client.returnToStock("orf_1", back);
  EXPECT_EQ(this->level("A-1"), (Pair{4, 0})) << "one return per key";
  client.returnToStock("orf_2", back);
  EXPECT_EQ(this->level("A-1"), (Pair{5, 0}));
}

TYPED_TEST(InventoryContract, ReleaseAfterFulfilIsANoOp) {
  auto& client = this->client();
  const std::vector<ReservationLine> lines{{"A-1", 2}, {"B-2", 1}};
  ASSERT_TRUE(client.reserve("ord_1", lines, 60s).reserved);
  ASSERT_TRUE(client.confirm("ord_1"));
  client.fulfil("ord_1");
  client.release("ord_1");  // a late cancel's compensation
  EXPECT_EQ(this->level("A-1"), (Pair{3, 0}));
  EXPECT_EQ(this->level("B-2"), (Pair{0, 0}));
  // Released before it shipped, a reservation is gone and cannot be confirmed.
  const std::vector<ReservationLine> one{{"A-1", 1}};
  ASSERT_TRUE(client.reserve("ord_2", one, 60s).reserved);
  client.release("ord_2");
  EXPECT_FALSE(client.confirm("ord_2"));
  client.fulfil("ord_2");
  EXPECT_EQ(this->level("A-1"), (Pair{3, 0})) << "a released order ships nothing";
  // ... but the order may reserve anew (the sweeper finishing it).
  EXPECT_TRUE(client.reserve("ord_2", one, 60s).reserved);
  EXPECT_EQ(this->level("A-1"), (Pair{3, 1}));
}

TYPED_TEST(InventoryContract, UnknownSkusAreLeftOut) {
  auto& client = this->client();
  const std::vector<std::string> asked{"Z-9", "A-1"};
  const auto found = client.levels(asked);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].sku, "A-1");
  EXPECT_EQ(found[0].available(), 5);
  EXPECT_EQ(client.count(), 2);
  // A return of a SKU inventory does not hold is skipped; the rest goes back.
  const std::vector<ReservationLine> back{{"Z-9", 1}, {"B-2", 1}};
  client.returnToStock("orf_1", back);
  EXPECT_EQ(this->level("Z-9"), (Pair{-1, -1}));
  EXPECT_EQ(this->level("B-2"), (Pair{2, 0}));
  EXPECT_EQ(client.count(), 2);
}

TYPED_TEST(InventoryContract, OnHandIsNeverSetBelowWhatIsHeld) {
  auto& client = this->client();
  const std::vector<ReservationLine> lines{{"A-1", 3}};
  ASSERT_TRUE(client.reserve("ord_1", lines, 60s).reserved);
  const auto below = client.setOnHand("A-1", 2);
  EXPECT_EQ(below.status, SetOnHandStatus::kBelowReserved);
  EXPECT_EQ(below.level.on_hand, 5);
  EXPECT_EQ(client.setOnHand("A-1", -1).status, SetOnHandStatus::kNegative);
  const auto set = client.setOnHand("A-1", 3);
  EXPECT_EQ(set.status, SetOnHandStatus::kDone);
  EXPECT_EQ(set.level.on_hand, 3);
  EXPECT_EQ(set.level.reserved, 3);
  // importMissing creates what is missing and leaves existing rows alone.
  const std::vector<StockLevel> seeded{{"A-1", 50, 0}, {"C-3", 7, 0}};
  EXPECT_EQ(client.importMissing(seeded), 1);
  EXPECT_EQ(this->level("A-1"), (Pair{3, 3}));
  EXPECT_EQ(this->level("C-3"), (Pair{7, 0}));
  // A negative figure refuses the whole import.
  const std::vector<StockLevel> negative{{"D-4", 1, 0}, {"E-5", -1, 0}};
  EXPECT_THROW(client.importMissing(negative), std::invalid_argument);
  EXPECT_EQ(this->level("D-4"), (Pair{-1, -1}));
}

// The internal routes themselves: who may call them, and what a caller sees
// when inventory cannot answer.
class InventoryInternalRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    inventory_.setOnHand("A-1", 5);
    server_ = internalServer(inventory_, credential_);
  }

  net::HttpReply post(const std::string& name, const std::string& body, const std::string& secret) {
    net::HttpCall call;
    call.method = "POST";
    call.url = server_->url() + "/internal/v1/inventory/" + name;
    call.body = body;
    call.headers = {{"Content-Type", "application/json"}};
    if (!secret.empty()) call.headers.emplace_back("X-Emporium-Service-Secret", secret);
    return http_.call(call);
  }

  emporium::test::FakeInventory inventory_;
  http::ServiceCredential credential_{kSecret};
  std::unique_ptr<sql::test::InternalServer> server_;
  net::HttpClient http_;
};

TEST_F(InventoryInternalRoutes, RefuseCallersWithoutTheServiceCredential) {
  const std::string body = R"({"skus":["A-1"]})";
  EXPECT_EQ(post("levels", body, "").status, 401);
  EXPECT_EQ(post("levels", body, std::string(kSecret) + "x").status, 401);
  EXPECT_EQ(post("levels", body, std::string(kSecret).substr(1) + "y").status, 401);
  const auto answered = post("levels", body, kSecret);
  EXPECT_EQ(answered.status, 200);
  EXPECT_NE(answered.body.find(R"("on_hand":5)"), std::string::npos) << answered.body;
  // A refused call changed nothing.
  EXPECT_EQ(post("reserve",
                 R"({"order_id":"o1","lines":[{"sku":"A-1","quantity":5}],"hold_for_s":60})", "")
                .status,
            401);
  EXPECT_EQ(inventory_.levels(std::vector<std::string>{"A-1"})[0].reserved, 0);
}

TEST_F(InventoryInternalRoutes, BadBodiesAre422NamingTheField) {
  const auto no_lines = post("reserve", R"({"order_id":"o1","hold_for_s":60})", kSecret);
  EXPECT_EQ(no_lines.status, 422);
  EXPECT_NE(no_lines.body.find("lines"), std::string::npos) << no_lines.body;
  const auto bad_quantity =
      post("reserve", R"({"order_id":"o1","lines":[{"sku":"A-1","quantity":"2"}],"hold_for_s":60})",
           kSecret);
  EXPECT_EQ(bad_quantity.status, 422);
  EXPECT_NE(bad_quantity.body.find("lines[0].quantity"), std::string::npos) << bad_quantity.body;
  EXPECT_EQ(post("reserve", R"({"order_id":"o1","lines":[],"hold_for_s":0})", kSecret).status, 422);
  EXPECT_EQ(post("levels", "not json", kSecret).status, 400);
}

TEST_F(InventoryInternalRoutes, ARemoteClientWhoseInventoryIsDownThrowsPeerError) {
  RemoteClient remote(http_, {server_->url()}, kSecret, std::chrono::milliseconds{1500});
  EXPECT_EQ(remote.count(), 1);
  server_->stop();
  EXPECT_THROW(remote.count(), net::PeerError);
  const std::vector<ReservationLine> lines{{"A-1", 1}};
  EXPECT_THROW(remote.reserve("o1", lines, 60s), net::PeerError);
  // A wrong credential is a deployment error, not a shortage: PeerError too.
  const auto other = internalServer(inventory_, credential_);
  RemoteClient wrong(http_, {other->url()}, std::string(kSecret) + "-wrong");
  EXPECT_THROW(wrong.count(), net::PeerError);
}

}  // namespace
}  // namespace emporium::inventory
