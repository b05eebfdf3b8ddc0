// The contract cart::Client promises the orders saga, run over every
// implementation: CartService over a real database on both backends, the
// RemoteClient calling it over real HTTP on its internal routes, and the
// fake that other services' tests use. A behaviour the fake or the wire
// lacks fails here, not in those tests.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "contract_support.hpp"
#include "core/http/service_credential.hpp"
#include "core/net/http_client.hpp"
#include "core/net/peer_error.hpp"
#include "internal_server.hpp"
#include "services/cart/cart_service.hpp"
#include "services/cart/http/internal_routes.hpp"
#include "services/cart/remote_client.hpp"
#include "services/cart/storage/schema.hpp"
#include "support/fakes/fake_cart.hpp"
#include "support/fakes/fake_catalog.hpp"
#include "support/fakes/fake_inventory.hpp"

namespace emporium::cart {
namespace {

using sql::test::Backend;
using Lines = std::vector<CartLine>;

// CartService over a fresh cart database of its own on one backend, pricing
// from a fake catalog and checking a fake inventory that has every SKU.
template <Backend kBackend>
class LocalCart {
 public:
  static std::optional<std::string> unavailable() {
    return sql::test::OwnDatabase<kBackend>::unavailable();
  }

  void start() {
    service_ =
        std::make_unique<CartService>(db_.open("cart_client", migrations()), catalog_, inventory_);
  }

  Client& client() { return *service_; }

  std::string cart(const std::string& owner, const Lines& lines) {
    const std::string id = owner.empty() ? service_->createGuestCart() : service_->userCart(owner);
    const Caller caller = owner.empty() ? Caller{} : Caller{owner};
    for (const auto& line : lines) {
      catalog_.add(line.sku, 1000);
      inventory_.setOnHand(line.sku, 99);
      const auto added = service_->addItem(id, caller, line.sku, line.quantity);
      EXPECT_TRUE(added.ok()) << line.sku;
    }
    return id;
  }

 private:
  sql::test::OwnDatabase<kBackend> db_;  // first: outlives the service
  emporium::test::FakeCatalog catalog_;
  emporium::test::FakeInventory inventory_;
  std::unique_ptr<CartService> service_;
};

constexpr const char* kSecret = "cart-contract-service-credential-0123456789";

// RemoteClient -> HTTP -> internal routes -> CartService on kBackend.
template <Backend kBackend>
class RemoteCart : public sql::test::RemoteSubject<LocalCart<kBackend>, RemoteClient> {
 public:
  std::string cart(const std::string& owner, const Lines& lines) {
    return this->local().cart(owner, lines);
  }
};

class FakeSubject {
 public:
  static std::optional<std::string> unavailable() { return std::nullopt; }
  void start() {}
  Client& client() { return fake_; }
  std::string cart(const std::string& owner, Lines lines) {
    std::string id = "cart_fake" + std::to_string(++ids_);
    fake_.put(id, owner, std::move(lines));
    return id;
  }

 private:
  emporium::test::FakeCart fake_;
  int ids_ = 0;
};

template <class Subject>
class CartContract : public sql::test::ContractTest<Subject> {
 protected:
  Client& client() { return this->subject_.client(); }

  /// The cart's lines as "sku x quantity; ...", or "none" when not usable.
  std::string lines(const std::string& cart_id, const std::string& user_id) {
    const auto found = client().linesFor(cart_id, user_id);
    if (!found) return "none";
    std::string out;
    for (const auto& line : *found) out += line.sku + " x" + std::to_string(line.quantity) + "; ";
    return out;
  }
};

struct SubjectNames {
  template <class Subject>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<Subject, LocalCart<Backend::kSqlite>>) return "LocalSqlite";
    if constexpr (std::is_same_v<Subject, LocalCart<Backend::kPostgres>>) return "LocalPostgres";
    if constexpr (std::is_same_v<Subject, RemoteCart<Backend::kSqlite>>) return "RemoteSqlite";
    if constexpr (std::is_same_v<Subject, RemoteCart<Backend::kPostgres>>) return "RemotePostgres";
    return "Fake";
  }
};

using Subjects =
    ::testing::Types<LocalCart<Backend::kSqlite>, LocalCart<Backend::kPostgres>,
                     RemoteCart<Backend::kSqlite>, RemoteCart<Backend::kPostgres>, FakeSubject>;
TYPED_TEST_SUITE(CartContract, Subjects, SubjectNames);

TYPED_TEST(CartContract, AUsersCartIsTheirsAGuestCartAnyones) {
  const auto mine = this->subject_.cart("usr_1", {{"A-1", 2}, {"B-2", 1}});
  EXPECT_EQ(this->lines(mine, "usr_1"), "A-1 x2; B-2 x1; ");
  EXPECT_EQ(this->lines(mine, "usr_2"), "none") << "another user's cart";
  EXPECT_EQ(this->lines(mine, ""), "none") << "a guest using a user's cart";

  const auto guest = this->subject_.cart("", {{"C-3", 1}});
  EXPECT_EQ(this->lines(guest, ""), "C-3 x1; ");
  EXPECT_EQ(this->lines(guest, "usr_2"), "C-3 x1; ") << "a guest cart is checked out by id";

  EXPECT_EQ(this->lines("cart_unknown", "usr_1"), "none");
  const auto empty = this->subject_.cart("usr_3", {});
  EXPECT_EQ(this->lines(empty, "usr_3"), "") << "an empty cart is a cart";
}

TYPED_TEST(CartContract, RemoveLinesTakesExactlyTheCheckedOutUnits) {
  auto& client = this->client();
  const auto id = this->subject_.cart("usr_1", {{"A-1", 3}, {"B-2", 1}, {"C-3", 2}});
  // Checked out: two of A-1 and all of B-2, with C-3 added after the checkout
  // read the cart; repeating the step (a retried saga) takes nothing more
  // than what is left of those lines.
  const Lines checked_out{{"A-1", 2}, {"B-2", 1}};
  client.removeLines(id, checked_out);
  EXPECT_EQ(this->lines(id, "usr_1"), "A-1 x1; C-3 x2; ");
  client.removeLines(id, checked_out);
  EXPECT_EQ(this->lines(id, "usr_1"), "C-3 x2; ");
  // A cart that is gone: nothing to do, no error.
  client.removeLines("cart_unknown", checked_out);
}

// A cart the caller may not use is an answer (nullopt); a cart service that
// refuses the credential, or does not serve the internal routes at all, is
// not: the checkout gets 503, never "no such cart".
TEST(CartInternalRoutes, ARefusedOrMissingRouteIsAPeerErrorNotAMissingCart) {
  LocalCart<Backend::kSqlite> local;
  local.start();
  const auto id = local.cart("usr_1", {{"A-1", 1}});
  const http::ServiceCredential credential{kSecret};
  sql::test::InternalServer with_routes(
      [&](http::Router& router) { addInternalRoutes(router, local.client(), credential); });
  sql::test::InternalServer without_routes([](http::Router&) {});
  net::HttpClient http;
  RemoteClient right(http, {with_routes.url()}, kSecret);
  EXPECT_EQ(right.linesFor(id, "usr_2"), std::nullopt);
  RemoteClient wrong(http, {with_routes.url()}, std::string(kSecret) + "-wrong");
  EXPECT_THROW(wrong.linesFor(id, "usr_1"), net::PeerError);
  RemoteClient unmounted(http, {without_routes.url()}, kSecret);
  EXPECT_THROW(unmounted.linesFor(id, "usr_1"), net::PeerError);
  const Lines one{{"A-1", 1}};
  EXPECT_THROW(unmounted.removeLines(id, one), net::PeerError);
  ASSERT_TRUE(right.linesFor(id, "usr_1").has_value());
  EXPECT_EQ(right.linesFor(id, "usr_1")->size(), 1U) << "the refused calls removed nothing";
}

}  // namespace
}  // namespace emporium::cart
