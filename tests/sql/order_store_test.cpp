// The orders store on both backends: Idempotency-Key claims, the guarded
// status transitions (one winner under races), effects, and keyset history.

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/sql/migrations.hpp"
#include "core/util/ids.hpp"
#include "orders_database_test.hpp"
#include "services/orders/storage/order_store.hpp"
#include "services/orders/storage/schema.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

using orders::ClaimState;
using orders::IdempotencyRef;
using orders::Order;
using orders::OrderStatus;
using orders::OrderStore;
using orders::Transition;

class OrderStoreTest : public OrdersDatabaseTest {
 protected:
  Order place(const std::string& user, const std::string& key) {
    const IdempotencyRef ref{user, key};
    EXPECT_EQ(store_->claimKey(ref, "hash-" + key).state, ClaimState::kClaimed);
    Order order;
    order.user_id = user;
    order.currency = "USD";
    order.totals = {2000, 499, 0, 2499};
    order.payment_method = "card";
    order.payment_status = "pending";
    order.cart_id = "cart_x";
    order.shipping_address = {"Ada L",      "1 Main St", std::nullopt, "Berlin",
                              std::nullopt, "10115",     "DE"};
    order.lines = {{"SKU-1", 7, "Lamp", 2, 1000, 2000}};
    store_->createPending(order, ref);
    return order;
  }

  Order confirmed(const std::string& user, const std::string& key) {
    auto order = place(user, key);
    Transition confirm;
    confirm.to = OrderStatus::kConfirmed;
    EXPECT_TRUE(store_->transition(order.id, confirm)->applied);
    return order;
  }

  std::int64_t events(const std::string& type) {
    static constexpr Query kCount{"test.count_events",
                                  "SELECT COUNT(*) FROM outbox WHERE type = $1"};
    return orders_db_->read(
        [&](Session& s) { return s.execute(kCount, {std::string_view(type)})[0].getInt64(0); });
  }
};

TEST_P(OrderStoreTest, AKeyIsClaimedOnceThenReplayedOrRefused) {
  const IdempotencyRef ref{"usr_1", "key-1"};
  EXPECT_EQ(store_->claimKey(ref, "h1").state, ClaimState::kClaimed);
  EXPECT_EQ(store_->claimKey(ref, "h1").state, ClaimState::kInProgress);
  EXPECT_EQ(store_->claimKey(ref, "h2").state, ClaimState::kMismatch);
  store_->saveResponse(ref, {201, R"({"id":"ord_1"})"});
  const auto replay = store_->claimKey(ref, "h1");
  ASSERT_EQ(replay.state, ClaimState::kReplay);
  EXPECT_EQ(replay.response->status, 201);
  EXPECT_EQ(replay.response->body, R"({"id":"ord_1"})");
  // Keys are per user: another user's identical key is a new claim.
  EXPECT_EQ(store_->claimKey({"usr_2", "key-1"}, "h1").state, ClaimState::kClaimed);
  // A released claim can be taken again.
  store_->releaseKey({"usr_2", "key-1"});
  EXPECT_EQ(store_->claimKey({"usr_2", "key-1"}, "h9").state, ClaimState::kClaimed);
}

TEST_P(OrderStoreTest, ConcurrentClaimsHaveExactlyOneWinner) {
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  threads.reserve(16);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (store_->claimKey({"usr_1", "same"}, "h").state == ClaimState::kClaimed) ++claimed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.load(), 1);
}

TEST_P(OrderStoreTest, CreatePendingStoresLinesTimelineAndLinksTheKey) {
  const auto order = place("usr_1", "k");
  EXPECT_TRUE(order.id.starts_with("ord_"));
  EXPECT_TRUE(order.number.starts_with("EM-"));
  const auto found = store_->find(order.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, OrderStatus::kPending);
  EXPECT_EQ(found->number, order.number);
  ASSERT_EQ(found->lines.size(), 1U);
  EXPECT_EQ(found->lines[0].sku, "SKU-1");
  EXPECT_EQ(found->lines[0].line_total, 2000);
  EXPECT_EQ(found->item_count, 2);
  EXPECT_EQ(found->totals.total, 2499);
  EXPECT_EQ(found->shipping_address.city, "Berlin");
  EXPECT_FALSE(found->shipping_address.line2);
  ASSERT_EQ(found->timeline.size(), 1U);
  const auto key = store_->keyForOrder(order.id);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->key, "k");
}

TEST_P(OrderStoreTest, TransitionsAreGuardedAndSaveTheResponseWithTheChange) {
  const auto order = place("usr_1", "k");
  Transition confirm;
  confirm.to = OrderStatus::kConfirmed;
  confirm.note = "paid";
  confirm.payment_status = "captured";
  confirm.idempotency = IdempotencyRef{"usr_1", "k"};
  confirm.response = orders::StoredResponse{201, "{}"};
  const auto after = store_->transition(order.id, confirm);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->applied);
  EXPECT_EQ(after->order.status, OrderStatus::kConfirmed);
  EXPECT_EQ(after->order.payment_status, "captured");
  EXPECT_EQ(after->order.timeline.size(), 2U);
  EXPECT_EQ(store_->claimKey({"usr_1", "k"}, "hash-k").state, ClaimState::kReplay);

  // Confirming again is refused: the order is returned as it is.
  const auto again = store_->transition(order.id, confirm);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(again->order.timeline.size(), 2U);
  EXPECT_FALSE(store_->transition("ord_missing", confirm));
}

TEST_P(OrderStoreTest, ACancelAndAShipRacingHaveOneWinner) {
  for (int round = 0; round < 5; ++round) {
    const auto order = place("usr_1", "k" + std::to_string(round));
    Transition confirm;
    confirm.to = OrderStatus::kConfirmed;
    store_->transition(order.id, confirm);
    Transition cancel;
    cancel.to = OrderStatus::kCancelled;
    cancel.stock_effect = orders::StockEffect::kRelease;
    Transition ship;
    ship.to = OrderStatus::kShipped;
    ship.stock_effect = orders::StockEffect::kFulfil;
    ship.carrier = "DHL";
    ship.tracking_number = "1Z";
    std::atomic<int> applied{0};
    std::thread a([&] {
      const auto r = store_->transition(order.id, cancel);
      if (r && r->applied && r->order.status == OrderStatus::kCancelled) ++applied;
    });
    std::thread b([&] {
      const auto r = store_->transition(order.id, ship);
      if (r && r->applied && r->order.status == OrderStatus::kShipped) ++applied;
    });
    a.join();
    b.join();
    EXPECT_EQ(applied.load(), 1);
    const auto final_state = store_->find(order.id);
    ASSERT_TRUE(final_state);
    EXPECT_EQ(final_state->timeline.size(), 3U);
    // The effect owed matches the change that won.
    EXPECT_EQ(final_state->stock_effect, final_state->status == OrderStatus::kCancelled
                                             ? orders::StockEffect::kRelease
                                             : orders::StockEffect::kFulfil);
  }
}

TEST_P(OrderStoreTest, EffectsAreClearedOnlyWhenStillOwed) {
  const auto order = place("usr_1", "k");
  Transition cancel;
  cancel.to = OrderStatus::kCancelled;
  cancel.stock_effect = orders::StockEffect::kRelease;
  cancel.payment_effect = orders::PaymentEffect::kRefund;
  store_->transition(order.id, cancel);
  const auto far_future = "9999-01-01T00:00:00.000000Z";
  EXPECT_EQ(store_->owingEffects(far_future, 10).size(), 1U);
  EXPECT_TRUE(store_->owingEffects("2000-01-01T00:00:00.000000Z", 10).empty());
  // Clearing a different effect than the one owed changes nothing.
  store_->clearEffects(order.id, orders::StockEffect::kFulfil, orders::PaymentEffect::kCollect,
                       std::nullopt);
  EXPECT_EQ(store_->find(order.id)->stock_effect, orders::StockEffect::kRelease);
  store_->clearEffects(order.id, orders::StockEffect::kRelease, orders::PaymentEffect::kRefund,
                       std::string("refunded"));
  const auto after = store_->find(order.id);
  EXPECT_EQ(after->stock_effect, orders::StockEffect::kNone);
  EXPECT_EQ(after->payment_effect, orders::PaymentEffect::kNone);
  EXPECT_EQ(after->payment_status, "refunded");
  EXPECT_TRUE(store_->owingEffects(far_future, 10).empty());
}

TEST_P(OrderStoreTest, HistoryIsNewestFirstWithAKeysetCursorAndPerUser) {
  std::vector<std::string> ids;
  ids.reserve(5);
  for (int i = 0; i < 5; ++i) ids.push_back(place("usr_1", "k" + std::to_string(i)).id);
  place("usr_2", "other");
  const auto first = store_->listForUser("usr_1", std::nullopt, 3);
  ASSERT_EQ(first.size(), 3U);
  EXPECT_EQ(first[0].id, ids[4]);
  EXPECT_EQ(first[2].id, ids[2]);
  EXPECT_EQ(first[0].item_count, 2);
  const auto second = store_->listForUser("usr_1", first.back().id, 3);
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[1].id, ids[0]);
  EXPECT_EQ(store_->listAll(std::nullopt, std::nullopt, 100).size(), 6U);
  EXPECT_EQ(store_->listAll(OrderStatus::kPending, std::nullopt, 100).size(), 6U);
  EXPECT_TRUE(store_->listAll(OrderStatus::kShipped, std::nullopt, 100).empty());
  EXPECT_EQ(store_->stalePending("9999-01-01T00:00:00.000000Z", 100).size(), 6U);
}

// The transition table is in the WHERE clause: a refund applies from
// confirmed/shipped/delivered only, and of N at once exactly one applies and
// writes one order.refunded event (the audit saw 200, 200, 200 and 3 events).
TEST_P(OrderStoreTest, ConcurrentRefundsApplyOnceWithOneEvent) {
  for (const auto from :
       {OrderStatus::kConfirmed, OrderStatus::kShipped, OrderStatus::kDelivered}) {
    const auto order = confirmed("usr_1", "k" + std::to_string(static_cast<int>(from)));
    if (from != OrderStatus::kConfirmed) {
      Transition ship;
      ship.to = OrderStatus::kShipped;
      ASSERT_TRUE(store_->transition(order.id, ship)->applied);
    }
    if (from == OrderStatus::kDelivered) {
      Transition deliver;
      deliver.to = OrderStatus::kDelivered;
      ASSERT_TRUE(store_->transition(order.id, deliver)->applied);
    }
    const auto before = events("order.refunded");
    Transition refund;
    refund.to = OrderStatus::kRefunded;
    refund.payment_effect = orders::PaymentEffect::kRefund;
    std::atomic<int> applied{0};
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        const auto r = store_->transition(order.id, refund);
        if (r && r->applied) ++applied;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(applied.load(), 1);
    EXPECT_EQ(events("order.refunded"), before + 1);
    EXPECT_EQ(store_->find(order.id)->status, OrderStatus::kRefunded);
  }
}

TEST_P(OrderStoreTest, TransitionsTheTableForbidsAreRefusedAndNameTheStatus) {
  Transition refund;
  refund.to = OrderStatus::kRefunded;
  refund.stock_effect = orders::StockEffect::kRelease;
  // A pending order (its checkout still running) cannot be refunded: the
  // stock it holds would never be freed.
  const auto pending = place("usr_1", "pending");
  auto r = store_->transition(pending.id, refund);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->applied);
  EXPECT_EQ(r->order.status, OrderStatus::kPending);
  EXPECT_EQ(r->order.stock_effect, orders::StockEffect::kNone);
  // Nor a cancelled one.
  const auto order = confirmed("usr_1", "cancelled");
  Transition cancel;
  cancel.to = OrderStatus::kCancelled;
  ASSERT_TRUE(store_->transition(order.id, cancel)->applied);
  r = store_->transition(order.id, refund);
  EXPECT_FALSE(r->applied);
  EXPECT_EQ(r->order.status, OrderStatus::kCancelled);
  // only_from narrows the table (a caller that priced effects on what it read).
  const auto other = confirmed("usr_1", "narrowed");
  r = store_->transition(other.id, refund, std::array{OrderStatus::kShipped});
  EXPECT_FALSE(r->applied);
  EXPECT_EQ(r->order.status, OrderStatus::kConfirmed);
  r = store_->transition(other.id, refund, std::array{OrderStatus::kConfirmed});
  EXPECT_TRUE(r->applied);
  // Shipping a pending order, confirming a refunded one: refused.
  Transition ship;
  ship.to = OrderStatus::kShipped;
  EXPECT_FALSE(store_->transition(pending.id, ship)->applied);
  Transition confirm;
  confirm.to = OrderStatus::kConfirmed;
  EXPECT_FALSE(store_->transition(other.id, confirm)->applied);
  EXPECT_EQ(store_->find(other.id)->timeline.size(), 3U);
}

// A refused checkout ends `failed`: kept for the owner (?status=failed), not
// in the buyer's history nor the unfiltered admin list, and no event (so no mail).
TEST_P(OrderStoreTest, FailedCheckoutsAreKeptForTheOwnerOnly) {
  const auto kept = confirmed("usr_1", "ok");
  const auto order = place("usr_1", "declined");
  Transition fail;
  fail.to = OrderStatus::kFailed;
  fail.payment_status = "declined";
  fail.stock_effect = orders::StockEffect::kRelease;
  ASSERT_TRUE(store_->transition(order.id, fail)->applied);
  const auto mine = store_->listForUser("usr_1", std::nullopt, 10);
  ASSERT_EQ(mine.size(), 1U);
  EXPECT_EQ(mine[0].id, kept.id);
  EXPECT_EQ(store_->listAll(std::nullopt, std::nullopt, 10).size(), 1U);
  const auto failed = store_->listAll(OrderStatus::kFailed, std::nullopt, 10);
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(failed[0].payment_status, "declined");
  EXPECT_EQ(events("order.cancelled"), 0);
  EXPECT_EQ(events("order.failed"), 0);
  // Failed is final.
  Transition confirm;
  confirm.to = OrderStatus::kConfirmed;
  EXPECT_FALSE(store_->transition(order.id, confirm)->applied);
}

// A crash between claiming a key and creating the order leaves a claim with
// neither order nor response: the sweeper finds and releases it, once.
TEST_P(OrderStoreTest, UnlinkedKeysAreFoundAndReleased) {
  const IdempotencyRef orphan{"usr_1", "orphan"};
  ASSERT_EQ(store_->claimKey(orphan, "h").state, ClaimState::kClaimed);
  place("usr_1", "linked");
  const IdempotencyRef answered{"usr_1", "answered"};
  ASSERT_EQ(store_->claimKey(answered, "h").state, ClaimState::kClaimed);
  store_->saveResponse(answered, {422, "{}"});
  EXPECT_TRUE(store_->unlinkedKeys("2000-01-01T00:00:00.000000Z", 10).empty());
  const auto found = store_->unlinkedKeys("9999-01-01T00:00:00.000000Z", 10);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].key, "orphan");
  EXPECT_TRUE(store_->releaseUnlinkedKey(found[0]));
  EXPECT_FALSE(store_->releaseUnlinkedKey(found[0]));
  EXPECT_FALSE(store_->releaseUnlinkedKey({"usr_1", "linked"}));
  EXPECT_EQ(store_->claimKey(orphan, "h").state, ClaimState::kClaimed);
}

// Emptying the cart is owed with the confirmation and stays owed through
// later changes until done, so a crash right after confirming still empties it.
TEST_P(OrderStoreTest, TheCartEffectStaysOwedUntilCleared) {
  const auto order = place("usr_1", "k");
  Transition confirm;
  confirm.to = OrderStatus::kConfirmed;
  confirm.empty_cart = true;
  ASSERT_TRUE(store_->transition(order.id, confirm)->applied);
  const auto far_future = "9999-01-01T00:00:00.000000Z";
  EXPECT_EQ(store_->owingEffects(far_future, 10).size(), 1U);
  Transition ship;
  ship.to = OrderStatus::kShipped;
  ASSERT_TRUE(store_->transition(order.id, ship)->applied);
  EXPECT_TRUE(store_->find(order.id)->empty_cart);
  store_->clearEffects(order.id, orders::StockEffect::kNone, orders::PaymentEffect::kNone,
                       std::nullopt, true);
  EXPECT_FALSE(store_->find(order.id)->empty_cart);
  EXPECT_TRUE(store_->owingEffects(far_future, 10).empty());
}

// Partial refunds (issue 14): the order's running total and each line's
// refunded quantity are conditional writes, so refunds never add up to more
// than the order's total however many run at once; a line asking more than is
// left rolls its whole refund back; reaching the total makes the order
// refunded, and the payment status follows the settled refunds.
TEST_P(OrderStoreTest, PartialRefundsNeverAddUpToMoreThanTheTotal) {
  using Outcome = orders::RefundApplied::Outcome;
  auto order = place("usr_1", "partial");  // 2 x 1000 + 499 shipping = 2499
  Transition confirm;
  confirm.to = OrderStatus::kConfirmed;
  confirm.payment_status = "captured";
  ASSERT_TRUE(store_->transition(order.id, confirm)->applied);

  orders::NewRefund part;
  part.amount = 1000;
  part.by = "usr_admin";
  part.reason = "scratched";
  part.note = "partially refunded: scratched";
  part.lines = {{"SKU-1", 1, false}};
  auto r = store_->applyRefund(order.id, part);
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_FALSE(r.full);
  auto now = store_->find(order.id);
  EXPECT_EQ(now->status, OrderStatus::kConfirmed);  // a partial refund keeps the status
  EXPECT_EQ(now->refunded_total, 1000);
  EXPECT_EQ(now->lines[0].refunded_quantity, 1);
  EXPECT_TRUE(now->refund_effect);
  ASSERT_EQ(now->refunds.size(), 1U);
  EXPECT_EQ(now->refunds[0].by, "usr_admin");
  EXPECT_EQ(now->refunds[0].reason, "scratched");
  EXPECT_FALSE(now->refunds[0].at.empty());
  ASSERT_EQ(now->refunds[0].lines.size(), 1U);
  EXPECT_EQ(now->refunds[0].lines[0].quantity, 1);
  EXPECT_EQ(events("order.refunded"), 1);

  // More units than are left on the line: nothing of it is kept.
  part.amount = 500;
  part.lines = {{"SKU-1", 2, false}};
  r = store_->applyRefund(order.id, part);
  EXPECT_EQ(r.outcome, Outcome::kLineQuantity);
  EXPECT_EQ(r.line_index, 0U);
  now = store_->find(order.id);
  EXPECT_EQ(now->refunded_total, 1000);
  EXPECT_EQ(now->refunds.size(), 1U);
  // More money than is left.
  part.lines.clear();
  part.amount = 1500;
  EXPECT_EQ(store_->applyRefund(order.id, part).outcome, Outcome::kOverTotal);

  // Eight at once, 500 each, with 1499 left: exactly two fit.
  part.amount = 500;
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (store_->applyRefund(order.id, part).outcome == Outcome::kApplied) ++applied;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied.load(), 2);
  EXPECT_EQ(store_->find(order.id)->refunded_total, 2000);
  EXPECT_EQ(events("order.refunded"), 3);

  // The rest: the order is refunded, and the stock it held is owed back.
  part.amount = 499;
  r = store_->applyRefund(order.id, part);
  ASSERT_EQ(r.outcome, Outcome::kApplied);
  EXPECT_TRUE(r.full);
  now = store_->find(order.id);
  EXPECT_EQ(now->status, OrderStatus::kRefunded);
  EXPECT_EQ(now->stock_effect, orders::StockEffect::kRelease);
  EXPECT_EQ(now->timeline.back().status, OrderStatus::kRefunded);
  // Nothing more, not even a cent, and never from a refunded order.
  part.amount = 1;
  EXPECT_EQ(store_->applyRefund(order.id, part).outcome, Outcome::kStatus);

  // The payment status follows the refunds whose money went back.
  store_->settleRefund(order.id, now->refunds[0].id);
  EXPECT_EQ(store_->find(order.id)->payment_status, "partially_refunded");
  EXPECT_TRUE(store_->find(order.id)->refund_effect);
  for (const auto& refund : now->refunds) store_->settleRefund(order.id, refund.id);
  now = store_->find(order.id);
  EXPECT_EQ(now->payment_status, "refunded");
  EXPECT_FALSE(now->refund_effect);
  EXPECT_EQ(now->refunds.size(), 4U);

  // A pending order (its checkout running) takes no refund.
  const auto pending = place("usr_1", "pending-refund");
  EXPECT_EQ(store_->applyRefund(pending.id, part).outcome, Outcome::kStatus);
  // A refund recorded under an id once (one made at the provider) is not recorded again.
  const auto other = confirmed("usr_1", "provider");
  part.id = "orf_provider_re_1";
  part.settled = true;
  EXPECT_EQ(store_->applyRefund(other.id, part).outcome, Outcome::kApplied);
  EXPECT_EQ(store_->applyRefund(other.id, part).outcome, Outcome::kDuplicate);
  EXPECT_EQ(store_->find(other.id)->refunded_total, 1);
  EXPECT_FALSE(store_->find(other.id)->refund_effect);  // settled: nothing owed
}

INSTANTIATE_TEST_SUITE_P(Backends, OrderStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
