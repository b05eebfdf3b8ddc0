// The contract catalog::Client promises cart and orders (SKU lookups: live
// titles and prices), run over every implementation: the catalog's product
// store over a real database on both backends, the RemoteClient calling it
// over real HTTP on the catalog's internal routes, and the fake that other
// services' tests use. A behaviour the fake or the wire lacks fails here.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "contract_support.hpp"
#include "core/events/outbox.hpp"
#include "core/http/request.hpp"
#include "core/http/request_scope.hpp"
#include "core/http/service_credential.hpp"
#include "core/json/writer.hpp"
#include "core/net/http_client.hpp"
#include "core/net/peer_error.hpp"
#include "internal_server.hpp"
#include "services/catalog/http/internal_routes.hpp"
#include "services/catalog/http/wire.hpp"
#include "services/catalog/remote_client.hpp"
#include "services/catalog/storage/catalog_storage.hpp"
#include "services/catalog/storage/schema.hpp"
#include "support/fakes/fake_catalog.hpp"

namespace emporium::catalog {
namespace {

using namespace std::chrono_literals;
using sql::test::Backend;

// The product store over a fresh catalog database of its own on one backend.
template <Backend kBackend>
class LocalCatalog {
 public:
  static std::optional<std::string> unavailable() {
    return sql::test::OwnDatabase<kBackend>::unavailable();
  }

  void start() {
    auto& db = db_.open("catalog_client", migrations());
    outbox_ = std::make_unique<events::Outbox>("catalog", db, doorbell_);
    storage_ = std::make_unique<CatalogStorage>(db, *outbox_);
    Category created;
    ASSERT_EQ(storage_->categories.createCategory("things", "Things", std::nullopt, created),
              WriteOutcome::kDone);
    category_ = created.id;
  }

  Client& client() { return storage_->products; }

  /// A product titled "Product <sku>" with one variant; archived when told.
  void add(const std::string& sku, std::int64_t price, bool purchasable = true) {
    NewProduct p;
    p.slug = "p-" + sku;
    p.title = "Product " + sku;
    p.brand = "Acme";
    p.category_id = category_;
    p.variants.push_back(NewVariant{sku, price, "{}", 3});
    Product created;
    ASSERT_EQ(storage_->products.createProduct(p, created), WriteOutcome::kDone);
    if (!purchasable) {
      std::string slug;
      ASSERT_EQ(storage_->products.archiveProduct(created.summary.id, slug), WriteOutcome::kDone);
    }
  }

 private:
  sql::test::OwnDatabase<kBackend> db_;  // first: outlives what uses it
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<CatalogStorage> storage_;
  std::int64_t category_ = 0;
};

constexpr const char* kSecret = "catalog-contract-service-credential-0123456789";

// RemoteClient -> HTTP -> internal routes -> the product store on kBackend.
template <Backend kBackend>
class RemoteCatalog : public sql::test::RemoteSubject<LocalCatalog<kBackend>, RemoteClient> {
 public:
  void add(const std::string& sku, std::int64_t price, bool purchasable = true) {
    this->local().add(sku, price, purchasable);
  }
};

class FakeSubject {
 public:
  static std::optional<std::string> unavailable() { return std::nullopt; }
  void start() {}
  Client& client() { return fake_; }
  void add(const std::string& sku, std::int64_t price, bool purchasable = true) {
    fake_.add(sku, price, purchasable);
  }

 private:
  emporium::test::FakeCatalog fake_;
};

template <class Subject>
class CatalogClientContract : public sql::test::ContractTest<Subject> {
 protected:
  /// The lookup's answers in sku order.
  std::vector<SkuInfo> lookup(const std::vector<std::string>& skus) {
    auto found = this->subject_.client().lookup(skus);
    std::sort(found.begin(), found.end(),
              [](const SkuInfo& a, const SkuInfo& b) { return a.sku < b.sku; });
    return found;
  }
};

struct SubjectNames {
  template <class Subject>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<Subject, LocalCatalog<Backend::kSqlite>>) return "LocalSqlite";
    if constexpr (std::is_same_v<Subject, LocalCatalog<Backend::kPostgres>>) {
      return "LocalPostgres";
    }
    if constexpr (std::is_same_v<Subject, RemoteCatalog<Backend::kSqlite>>) return "RemoteSqlite";
    if constexpr (std::is_same_v<Subject, RemoteCatalog<Backend::kPostgres>>) {
      return "RemotePostgres";
    }
    return "Fake";
  }
};

using Subjects = ::testing::Types<LocalCatalog<Backend::kSqlite>, LocalCatalog<Backend::kPostgres>,
                                  RemoteCatalog<Backend::kSqlite>,
                                  RemoteCatalog<Backend::kPostgres>, FakeSubject>;
TYPED_TEST_SUITE(CatalogClientContract, Subjects, SubjectNames);

TYPED_TEST(CatalogClientContract, KnownSkusComeBackWithTitleAndPriceUnknownOnesAreLeftOut) {
  this->subject_.add("A-1", 1999);
  this->subject_.add("B-2", 250);
  const auto found = this->lookup({"B-2", "NOPE", "A-1", "A-1"});
  ASSERT_GE(found.size(), 2U);
  EXPECT_EQ(found.front().sku, "A-1");
  EXPECT_EQ(found.back().sku, "B-2");
  for (const auto& info : found) EXPECT_NE(info.sku, "NOPE");
  EXPECT_EQ(found.front().title, "Product A-1");
  EXPECT_EQ(found.front().unit_price, 1999);
  EXPECT_EQ(found.front().currency, "USD");
  EXPECT_GT(found.front().product_id, 0);
  EXPECT_TRUE(found.front().purchasable);
  EXPECT_EQ(found.back().unit_price, 250);
  EXPECT_TRUE(this->lookup({}).empty());
  EXPECT_TRUE(this->lookup({"NOPE"}).empty());
}

TYPED_TEST(CatalogClientContract, AnArchivedProductIsKnownButNotPurchasable) {
  this->subject_.add("OLD-1", 500, /*purchasable=*/false);
  const auto found = this->lookup({"OLD-1"});
  ASSERT_EQ(found.size(), 1U);
  EXPECT_FALSE(found[0].purchasable);
  EXPECT_EQ(found[0].title, "Product OLD-1");
}

// Without the credential, or with the routes not served, a lookup is a
// PeerError (503 to the shopper), never "no such SKU".
TEST(CatalogInternalRoutes, ARefusedOrMissingRouteIsAPeerErrorNotAnUnknownSku) {
  LocalCatalog<Backend::kSqlite> local;
  local.start();
  local.add("A-1", 100);
  const http::ServiceCredential credential{kSecret};
  sql::test::InternalServer with_routes(
      [&](http::Router& router) { addInternalRoutes(router, local.client(), credential); });
  sql::test::InternalServer without_routes([](http::Router&) {});
  net::HttpClient http;
  const std::vector<std::string> skus{"A-1"};
  EXPECT_EQ(RemoteClient(http, {with_routes.url()}, kSecret).lookup(skus).size(), 1U);
  RemoteClient wrong(http, {with_routes.url()}, std::string(kSecret) + "-wrong");
  EXPECT_THROW(wrong.lookup(skus), net::PeerError);
  RemoteClient unmounted(http, {without_routes.url()}, kSecret);
  EXPECT_THROW(unmounted.lookup(skus), net::PeerError);
}

// A catalog instance that is down (killed, restarting) costs its callers a
// refused connection, not a 503: the call goes to the next instance, and a
// lookup (a read) also moves on after a 5xx.
TEST(CatalogInternalRoutes, ACallMovesOnFromAnInstanceThatIsDown) {
  LocalCatalog<Backend::kSqlite> local;
  local.start();
  local.add("A-1", 100);
  const http::ServiceCredential credential{kSecret};
  sql::test::InternalServer live(
      [&](http::Router& router) { addInternalRoutes(router, local.client(), credential); });
  std::string dead_url;
  {
    sql::test::InternalServer gone([](http::Router&) {});
    dead_url = gone.url();
    gone.stop();
  }
  sql::test::InternalServer failing([](http::Router& router) {
    router.add(http::Method::kPost, "/internal/v1/catalog/lookup", [](http::Request&) {
      return http::Response::json(503, R"({"title":"Service Unavailable"})");
    });
  });
  net::HttpClient http;
  RemoteClient remote(http, {dead_url, failing.url(), live.url()}, kSecret);
  const std::vector<std::string> skus{"A-1"};
  for (int i = 0; i < 6; ++i) {  // every starting instance of the round robin, twice
    EXPECT_EQ(remote.lookup(skus).size(), 1U) << "call " << i;
  }
  RemoteClient none_alive(http, {dead_url}, kSecret);
  EXPECT_THROW(none_alive.lookup(skus), net::PeerError);
}

// Issue 15: "a request with 200 ms of budget is not worked on downstream after
// its deadline". A call made while handling a request (http::RequestScope)
// carries the time that request has left, and its id; a callee that trusts
// the budget header and reaches the call only after that time refuses it
// without running the handler, while the caller has already given up.
TEST(CatalogInternalRoutes, ABudgetSpentUpstreamIsNotWorkedOnDownstream) {
  emporium::test::FakeCatalog catalog;
  catalog.add("A-1", 100);
  const http::ServiceCredential credential{kSecret};
  std::atomic<int> looked_up{0};
  std::string seen_request_id;
  std::mutex seen_mutex;
  std::promise<void> busy_started;
  sql::test::InternalServer callee(
      [&](http::Router& router) {
        // The lookup route, counted: a lookup that runs is work done.
        router.add(http::Method::kPost, "/internal/v1/catalog/lookup", [&](http::Request& req) {
          ++looked_up;
          {
            const std::lock_guard lock(seen_mutex);
            seen_request_id = std::string(req.request_id);
          }
          json::Writer out;
          out.startObject().key("items");
          const std::vector<SkuInfo> found = catalog.lookup(std::vector<std::string>{"A-1"});
          wire::writeSkuInfos(out, found);
          out.endObject();
          return http::Response::json(200, out.str());
        });
        // Holds the callee's only blocking thread.
        router.add(http::Method::kGet, "/busy", [&](http::Request&) {
          busy_started.set_value();
          std::this_thread::sleep_for(800ms);
          return http::Response::json(200, "{}");
        });
      },
      /*blocking_threads=*/1, /*trust_budget_header=*/true);
  net::HttpClient http;
  RemoteClient remote(http, {callee.url()}, kSecret);
  const std::vector<std::string> skus{"A-1"};

  // With time to spare, the call carries the handling request's id.
  http::Request handling;
  handling.request_id = "req-budget-test";
  handling.setDeadline(http::Request::Clock::now(), 2000ms, false);
  {
    const http::RequestScope scope(handling);
    ASSERT_EQ(remote.lookup(skus).size(), 1U);
  }
  EXPECT_EQ(looked_up.load(), 1);
  {
    const std::lock_guard lock(seen_mutex);
    EXPECT_EQ(seen_request_id, "req-budget-test");
  }

  // 200 ms left, and the callee busy for 800: the caller gives up at its
  // deadline, and the callee, reaching the call at about 800 ms, refuses it.
  std::thread busy([&] {
    net::HttpCall hold;
    hold.url = callee.url() + "/busy";
    hold.deadline = net::HttpCall::Clock::now() + 2000ms;
    EXPECT_EQ(http.call(hold).status, 200);
  });
  busy_started.get_future().wait();  // /busy holds the thread
  http::Request hurried;
  hurried.setDeadline(http::Request::Clock::now(), 200ms, false);
  const auto started = std::chrono::steady_clock::now();
  {
    const http::RequestScope scope(hurried);
    EXPECT_THROW(remote.lookup(skus), net::PeerError);
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_LT(waited, 600ms) << "the caller waited past its deadline";
  busy.join();
  std::this_thread::sleep_for(100ms);  // the refused call has been dequeued
  EXPECT_EQ(looked_up.load(), 1) << "the callee worked on a call nobody waited for";

  // Outside any request the client's own timeout applies: it works again.
  EXPECT_EQ(remote.lookup(skus).size(), 1U);
  EXPECT_EQ(looked_up.load(), 2);
}

}  // namespace
}  // namespace emporium::catalog
