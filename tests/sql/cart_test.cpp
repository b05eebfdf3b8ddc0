// CartService on both backends, with the real InventoryService and a small
// fake catalog: adding and summing lines, the limits, exact removal for
// checkout, one cart per user under concurrency, merging, and who may use
// which cart.

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/sql/migrations.hpp"
#include "services/cart/cart_service.hpp"
#include "services/cart/storage/schema.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/inventory/storage/schema.hpp"
#include "sql_test_support.hpp"
#include "support/fakes/fake_catalog.hpp"

namespace emporium::sql::test {
namespace {

using cart::CartLine;
using cart::CartProblem;
using cart::CartService;
using cart::MergeOutcome;
using namespace std::chrono_literals;

using ::emporium::test::FakeCatalog;

class CartTest : public SqlTest {
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
    carts_ =
        std::make_unique<CartService>(*cart_db_, catalog_, *inventory_, [this] { return now_; });
    for (const auto& [sku, price, on_hand] :
         std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>{
             {"MUG", 1200, 500}, {"TEE", 1999, 500}, {"CAP", 900, 500}, {"RARE", 5000, 3}}) {
      catalog_.add(sku, price);
      inventory_->setOnHand(sku, on_hand);
    }
  }

  std::map<std::string, std::int64_t> linesOf(const std::string& cart_id,
                                              const std::string& user_id = {}) {
    std::map<std::string, std::int64_t> out;
    const auto lines = carts_->linesFor(cart_id, user_id);
    EXPECT_TRUE(lines.has_value()) << cart_id;
    if (lines) {
      for (const auto& line : *lines) out[line.sku] = line.quantity;
    }
    return out;
  }

  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'795'651'200));
  FakeCatalog catalog_;
  std::unique_ptr<Database> inventory_db_;
  std::unique_ptr<Database> cart_db_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> inventory_outbox_;
  std::unique_ptr<inventory::InventoryService> inventory_;
  std::unique_ptr<CartService> carts_;
};

TEST_P(CartTest, AddsSumsAndCapsLines) {
  const std::string cart = carts_->createGuestCart();
  EXPECT_TRUE(cart::isCartId(cart)) << cart;
  EXPECT_NE(cart, carts_->createGuestCart());

  auto change = carts_->addItem(cart, std::nullopt, "MUG", 2);
  EXPECT_TRUE(change.ok());
  EXPECT_TRUE(change.created_line);
  change = carts_->addItem(cart, std::nullopt, "MUG", 3);
  EXPECT_TRUE(change.ok());
  EXPECT_FALSE(change.created_line);
  EXPECT_EQ(linesOf(cart), (std::map<std::string, std::int64_t>{{"MUG", 5}}));

  EXPECT_EQ(carts_->addItem(cart, std::nullopt, "MUG", 95).problem,
            CartProblem::kQuantityOverLimit);
  EXPECT_TRUE(carts_->addItem(cart, std::nullopt, "MUG", 94).ok());
  EXPECT_EQ(linesOf(cart)["MUG"], 99);
  EXPECT_EQ(carts_->addItem(cart, std::nullopt, "TEE", 0).problem, CartProblem::kQuantityOverLimit);

  change = carts_->addItem(cart, std::nullopt, "RARE", 4);
  EXPECT_EQ(change.problem, CartProblem::kNotEnoughStock);
  EXPECT_EQ(change.available, 3);
  EXPECT_TRUE(carts_->addItem(cart, std::nullopt, "RARE", 3).ok());

  EXPECT_EQ(carts_->addItem(cart, std::nullopt, "NOPE", 1).problem, CartProblem::kUnknownSku);
  catalog_.add("OLD", 100, /*purchasable=*/false);
  EXPECT_EQ(carts_->addItem(cart, std::nullopt, "OLD", 1).problem, CartProblem::kUnknownSku);
  EXPECT_EQ(carts_->addItem("cart_aaaaaaaaaaaaaaaaaaaaaaaaaa", std::nullopt, "MUG", 1).problem,
            CartProblem::kCartNotFound);

  const auto view = carts_->view(cart, std::nullopt);
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->items.size(), 2U);
  EXPECT_EQ(view->items[0].sku, "MUG");
  EXPECT_EQ(view->items[0].line_total, 99 * 1200);
  EXPECT_EQ(view->item_count, 102);
  EXPECT_EQ(view->subtotal, 99 * 1200 + 3 * 5000);
  EXPECT_EQ(view->currency, "USD");

  // Live prices; archived lines shown but not counted; vanished ones left out.
  catalog_.add("MUG", 1000);
  catalog_.add("RARE", 5000, /*purchasable=*/false);
  auto later = carts_->view(cart, std::nullopt);
  EXPECT_EQ(later->subtotal, 99 * 1000);
  EXPECT_FALSE(later->items[1].available);
  catalog_.remove("RARE");
  later = carts_->view(cart, std::nullopt);
  EXPECT_EQ(later->items.size(), 1U);
}

TEST_P(CartTest, LimitsDistinctLines) {
  const std::string cart = carts_->createGuestCart();
  for (int i = 0; i < 101; ++i) {
    const std::string sku = "S-" + std::to_string(i);
    catalog_.add(sku, 100);
    inventory_->setOnHand(sku, 1);
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(carts_->addItem(cart, std::nullopt, "S-" + std::to_string(i), 1).ok()) << i;
  }
  EXPECT_EQ(carts_->addItem(cart, std::nullopt, "S-100", 1).problem, CartProblem::kTooManyLines);
  EXPECT_EQ(linesOf(cart).size(), 100U);
}

TEST_P(CartTest, SetsAndRemovesLines) {
  const std::string cart = carts_->createGuestCart();
  ASSERT_TRUE(carts_->addItem(cart, std::nullopt, "RARE", 3).ok());
  inventory_->setOnHand("RARE", 3);
  EXPECT_EQ(carts_->setQuantity(cart, std::nullopt, "RARE", 4).problem,
            CartProblem::kNotEnoughStock);
  EXPECT_TRUE(carts_->setQuantity(cart, std::nullopt, "RARE", 2).ok());
  EXPECT_EQ(carts_->setQuantity(cart, std::nullopt, "MUG", 2).problem, CartProblem::kLineNotFound);
  EXPECT_EQ(carts_->setQuantity(cart, std::nullopt, "RARE", 100).problem,
            CartProblem::kQuantityOverLimit);
  EXPECT_TRUE(carts_->setQuantity(cart, std::nullopt, "RARE", 0).ok());
  EXPECT_TRUE(linesOf(cart).empty());
  ASSERT_TRUE(carts_->addItem(cart, std::nullopt, "MUG", 1).ok());
  EXPECT_TRUE(carts_->removeItem(cart, std::nullopt, "MUG"));
  EXPECT_TRUE(carts_->removeItem(cart, std::nullopt, "MUG"));  // idempotent
  EXPECT_TRUE(linesOf(cart).empty());
}

TEST_P(CartTest, RemoveLinesSubtractsExactlyTheCheckedOutUnits) {
  const std::string cart = carts_->createGuestCart();
  ASSERT_TRUE(carts_->addItem(cart, std::nullopt, "MUG", 2).ok());
  ASSERT_TRUE(carts_->addItem(cart, std::nullopt, "TEE", 1).ok());
  const auto checked_out = *carts_->linesFor(cart, "");
  // The shopper adds more while the order is placed.
  ASSERT_TRUE(carts_->addItem(cart, std::nullopt, "MUG", 3).ok());
  ASSERT_TRUE(carts_->addItem(cart, std::nullopt, "CAP", 1).ok());
  carts_->removeLines(cart, checked_out);
  EXPECT_EQ(linesOf(cart), (std::map<std::string, std::int64_t>{{"MUG", 3}, {"CAP", 1}}));
  carts_->removeLines("cart_aaaaaaaaaaaaaaaaaaaaaaaaaa", checked_out);  // no cart: no-op
}

TEST_P(CartTest, OneCartPerUserUnderConcurrentFirstUse) {
  constexpr int kThreads = 16;
  std::promise<void> start;
  const std::shared_future<void> started = start.get_future().share();
  std::vector<std::future<std::string>> ids;
  ids.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    ids.push_back(std::async(std::launch::async, [&] {
      started.wait();
      return carts_->userCart("user-1");
    }));
  }
  start.set_value();
  std::set<std::string> distinct;
  for (auto& id : ids) distinct.insert(id.get());
  EXPECT_EQ(distinct.size(), 1U);
  EXPECT_EQ(carts_->userCart("user-1"), *distinct.begin());
  EXPECT_NE(carts_->userCart("user-2"), *distinct.begin());
}

TEST_P(CartTest, AccessRules) {
  const std::string guest = carts_->createGuestCart();
  const std::string mine = carts_->userCart("alice");
  ASSERT_TRUE(carts_->addItem(mine, std::string("alice"), "MUG", 1).ok());
  // A guest cart: anyone holding the id.
  EXPECT_TRUE(carts_->linesFor(guest, "bob").has_value());
  EXPECT_TRUE(carts_->linesFor(guest, "").has_value());
  EXPECT_TRUE(carts_->addItem(guest, std::string("bob"), "MUG", 1).ok());
  // A user's cart: that user only.
  EXPECT_TRUE(carts_->linesFor(mine, "alice").has_value());
  EXPECT_FALSE(carts_->linesFor(mine, "bob").has_value());
  EXPECT_FALSE(carts_->linesFor(mine, "").has_value());
  EXPECT_FALSE(carts_->view(mine, std::string("bob")).has_value());
  EXPECT_FALSE(carts_->view(mine, std::nullopt).has_value());
  EXPECT_EQ(carts_->addItem(mine, std::string("bob"), "MUG", 1).problem,
            CartProblem::kCartNotFound);
  EXPECT_EQ(carts_->setQuantity(mine, std::nullopt, "MUG", 0).problem, CartProblem::kCartNotFound);
  EXPECT_FALSE(carts_->removeItem(mine, std::string("bob"), "MUG"));
  EXPECT_EQ(linesOf(mine, "alice")["MUG"], 1);
  EXPECT_FALSE(carts_->linesFor("cart_aaaaaaaaaaaaaaaaaaaaaaaaaa", "alice").has_value());
}

TEST_P(CartTest, MergeMovesGuestLinesIntoTheUserCart) {
  const std::string mine = carts_->userCart("alice");
  ASSERT_TRUE(carts_->addItem(mine, std::string("alice"), "MUG", 60).ok());
  const std::string guest = carts_->createGuestCart();
  ASSERT_TRUE(carts_->addItem(guest, std::nullopt, "MUG", 50).ok());
  ASSERT_TRUE(carts_->addItem(guest, std::nullopt, "TEE", 2).ok());

  const auto merged = carts_->merge("alice", guest);
  EXPECT_EQ(merged.outcome, MergeOutcome::kMerged);
  EXPECT_EQ(merged.user_cart_id, mine);
  EXPECT_EQ(linesOf(mine, "alice"), (std::map<std::string, std::int64_t>{{"MUG", 99}, {"TEE", 2}}));
  EXPECT_FALSE(carts_->linesFor(guest, "").has_value()) << "the guest cart is gone";
  EXPECT_EQ(carts_->merge("alice", guest).outcome, MergeOutcome::kNotFound);

  EXPECT_EQ(carts_->merge("alice", mine).outcome, MergeOutcome::kSameCart);
  const std::string bobs = carts_->userCart("bob");
  EXPECT_EQ(carts_->merge("alice", bobs).outcome, MergeOutcome::kNotFound);
  EXPECT_TRUE(carts_->linesFor(bobs, "bob").has_value());

  // A first-time user: the merge creates their cart.
  const std::string guest2 = carts_->createGuestCart();
  ASSERT_TRUE(carts_->addItem(guest2, std::nullopt, "CAP", 1).ok());
  const auto fresh = carts_->merge("carol", guest2);
  EXPECT_EQ(fresh.outcome, MergeOutcome::kMerged);
  EXPECT_EQ(fresh.user_cart_id, carts_->userCart("carol"));
  EXPECT_EQ(linesOf(fresh.user_cart_id, "carol"),
            (std::map<std::string, std::int64_t>{{"CAP", 1}}));
}

TEST_P(CartTest, PurgesStaleGuestCartsOnly) {
  const std::string stale = carts_->createGuestCart();
  ASSERT_TRUE(carts_->addItem(stale, std::nullopt, "MUG", 1).ok());
  const std::string user_cart = carts_->userCart("alice");
  now_ += std::chrono::hours(24 * 20);
  const std::string recent = carts_->createGuestCart();
  now_ += std::chrono::hours(24 * 11);
  EXPECT_EQ(carts_->purgeStaleGuestCarts(), 1);
  EXPECT_FALSE(carts_->linesFor(stale, "").has_value());
  EXPECT_TRUE(carts_->linesFor(recent, "").has_value());
  EXPECT_TRUE(carts_->linesFor(user_cart, "alice").has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, CartTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
