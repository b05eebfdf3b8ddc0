// OrderService on both backends with fake carts, catalog, inventory and
// payments: the transition table as the service applies it (refunds once,
// never from pending), failed checkouts kept out of the buyer's history, and
// the recovery sweeper driven by an injected clock (no sleeps), which never
// takes a checkout still running in this process for an abandoned one.

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/sql/migrations.hpp"
#include "orders_database_test.hpp"
#include "services/orders/http/problems.hpp"
#include "services/orders/order_service.hpp"
#include "services/orders/storage/schema.hpp"
#include "sql_test_support.hpp"
#include "support/fakes/fake_cart.hpp"
#include "support/fakes/fake_catalog.hpp"
#include "support/fakes/fake_inventory.hpp"
#include "support/fakes/fake_payments.hpp"

namespace emporium::sql::test {
namespace {

using namespace std::chrono_literals;
using orders::OrderStatus;

class OrderServiceTest : public OrdersDatabaseTest {
 protected:
  void SetUp() override {
    OrdersDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    orders::OrderOptions options;
    options.recover_after = 60s;
    options.clock = [this] {
      const std::lock_guard lock(clock_mutex_);
      return now_;
    };
    carts_.put("cart_1", "usr_1", {{"SKU-1", 2}});
    skus_.put(catalog::SkuInfo{"SKU-1", 7, "Lamp", 1000, "USD", true});
    inventory_.setOnHand("SKU-1", 100);
    service_under_test_ = std::make_unique<orders::OrderService>(
        *store_, carts_, skus_, inventory_, payments_,
        [](const std::string&, const std::string&) { return std::nullopt; }, options, logger_);
  }

  void advance(std::chrono::system_clock::duration by) {
    const std::lock_guard lock(clock_mutex_);
    now_ += by;
  }

  orders::OrderService& service() { return *service_under_test_; }

  http::Response checkout(const std::string& key) {
    orders::CheckoutRequest request;
    request.user_id = "usr_1";
    request.idempotency_key = key;
    request.cart_id = "cart_1";
    request.shipping_address = orders::ShippingAddress{
        "Ada L", "1 Main St", std::nullopt, "Berlin", std::nullopt, "10115", "DE"};
    request.card_token = "tok_1";
    return service().place(request, "/api/v1/orders", "req");
  }

  std::string onlyOrderId(std::optional<OrderStatus> status) {
    const auto all = store_->listAll(status, std::nullopt, 10);
    EXPECT_EQ(all.size(), 1U);
    return all.empty() ? std::string() : all[0].id;
  }

  // "accepted", "invalid <field>;<field>;...", "status <current>", "not_found" or "in_progress".
  static std::string outcome(const util::Result<orders::Order, orders::OrderError>& changed) {
    if (changed) return "accepted";
    const auto& error = changed.error();
    switch (error.kind) {
      case orders::OrderError::kInvalid: {
        std::string names = "invalid ";
        for (const auto& field : error.fields) names += field.field + ";";
        return names;
      }
      case orders::OrderError::kStatus:
        return "status " + std::string(orders::statusName(error.current.value()));
      case orders::OrderError::kNotFound:
        return "not_found";
      case orders::OrderError::kInProgress:
        break;
    }
    return "in_progress";
  }

  std::int64_t events(const std::string& type) {
    static constexpr Query kCount{"test.count_events",
                                  "SELECT COUNT(*) FROM outbox WHERE type = $1"};
    return orders_db_->read(
        [&](Session& s) { return s.execute(kCount, {std::string_view(type)})[0].getInt64(0); });
  }

  emporium::test::FakeCart carts_;
  emporium::test::FakeCatalog skus_;
  emporium::test::FakeInventory inventory_;
  emporium::test::FakePayments payments_;
  log::Logger logger_{log::Level::kError};
  std::mutex clock_mutex_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::unique_ptr<orders::OrderService> service_under_test_;
};

TEST_P(OrderServiceTest, ConcurrentRefundsMakeOneProviderRefundAndOneEvent) {
  ASSERT_EQ(checkout("k").status, 201);
  const auto id = onlyOrderId(OrderStatus::kConfirmed);
  std::atomic<int> ok{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  threads.reserve(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      const auto refunded = service().refund(id);
      if (refunded) {
        ++ok;
      } else if (refunded.error().kind == orders::OrderError::kStatus &&
                 refunded.error().current == OrderStatus::kRefunded) {
        ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflicts.load(), 5);
  EXPECT_EQ(payments_.refunds.load(), 1);
  EXPECT_EQ(events("order.refunded"), 1);
  // A later one is refused too, naming the status.
  const auto again = service().refund(id);
  ASSERT_FALSE(again) << "a second refund was accepted";
  EXPECT_EQ(again.error().kind, orders::OrderError::kStatus);
  EXPECT_EQ(again.error().current, OrderStatus::kRefunded);
  EXPECT_EQ(again.error().detail, "the order is refunded; it cannot be refunded");
}

TEST_P(OrderServiceTest, ARefundOrCancelDuringCheckoutIsRefused) {
  payments_.holdCharges();
  auto placed = std::async(std::launch::async, [this] { return checkout("k"); });
  ASSERT_TRUE(payments_.waitUntilCharging(10s));
  const auto id = onlyOrderId(OrderStatus::kPending);
  for (const bool refund : {true, false}) {
    const auto changed = refund ? service().refund(id) : service().cancel(id, std::nullopt);
    ASSERT_FALSE(changed) << "a pending order was changed from outside its checkout";
    EXPECT_EQ(changed.error().kind, orders::OrderError::kStatus);
    EXPECT_EQ(changed.error().current, OrderStatus::kPending);
    EXPECT_NE(changed.error().detail.find("pending"), std::string::npos) << changed.error().detail;
  }
  payments_.releaseCharges();
  EXPECT_EQ(placed.get().status, 201);
  EXPECT_EQ(store_->find(id)->status, OrderStatus::kConfirmed);
  EXPECT_EQ(inventory_.released.load(), 0);
}

// payment.refunded_at_provider's consumer (orders.provider_refunds) acts on
// these: booked and booked-before are done, not-yet is retried, refused is
// dead-lettered for an operator (the money moved at the provider already).
TEST_P(OrderServiceTest, ProviderRefundsAreBookedOnceRetriedWhilePendingAndRefusedOtherwise) {
  using Booking = orders::OrderService::ProviderRefundBooking;
  payments_.holdCharges();
  auto placed = std::async(std::launch::async, [this] { return checkout("k"); });
  ASSERT_TRUE(payments_.waitUntilCharging(10s));
  const auto id = onlyOrderId(OrderStatus::kPending);
  EXPECT_EQ(service().recordProviderRefund(id, "re_1", 500), Booking::kNotYet);
  payments_.releaseCharges();
  ASSERT_EQ(placed.get().status, 201);

  EXPECT_EQ(service().recordProviderRefund(id, "re_1", 500), Booking::kBooked);
  EXPECT_EQ(service().recordProviderRefund(id, "re_1", 500), Booking::kBookedBefore);
  EXPECT_EQ(store_->find(id)->refunded_total, 500);
  EXPECT_EQ(service().recordProviderRefund("ord_nobody", "re_2", 500), Booking::kRefused);
  const std::int64_t total = store_->find(id)->totals.total;
  EXPECT_EQ(service().recordProviderRefund(id, "re_3", total), Booking::kRefused)
      << "more than is left to refund";
  EXPECT_EQ(service().recordProviderRefund(id, "re_4", total - 500), Booking::kBooked);
  EXPECT_EQ(store_->find(id)->status, OrderStatus::kRefunded);
  EXPECT_EQ(events("order.refunded"), 2);
}

TEST_P(OrderServiceTest, ADeclinedCheckoutLeavesNoOrderMailOrCartChange) {
  payments_.outcome = payments::ChargeOutcome::kDeclined;
  const auto r = checkout("k");
  EXPECT_EQ(r.status, 402);
  EXPECT_NE(r.body.find("another card"), std::string::npos) << r.body;
  EXPECT_TRUE(store_->listForUser("usr_1", std::nullopt, 10).empty());
  const auto id = onlyOrderId(OrderStatus::kFailed);
  EXPECT_FALSE(service().orderFor("usr_1", id));
  EXPECT_EQ(inventory_.released.load(), 1);
  EXPECT_EQ(carts_.emptied.load(), 0);
  EXPECT_EQ(events("order.cancelled"), 0);
  EXPECT_EQ(store_->find(id)->payment_status, "declined");
}

TEST_P(OrderServiceTest, TheSweeperGoesByTheInjectedClock) {
  {
    // From here: opening the database may have taken seconds.
    const std::lock_guard lock(clock_mutex_);
    now_ = std::chrono::system_clock::now();
  }
  // A checkout that died after creating its order (nothing charged).
  const orders::IdempotencyRef ref{"usr_1", "crashed"};
  ASSERT_EQ(store_->claimKey(ref, "h").state, orders::ClaimState::kClaimed);
  orders::Order order;
  order.user_id = "usr_1";
  order.currency = "USD";
  order.totals = {2000, 0, 0, 2000};
  order.payment_method = "card";
  order.payment_status = "pending";
  order.cart_id = "cart_1";
  order.shipping_address = {"Ada L",      "1 Main St", std::nullopt, "Berlin",
                            std::nullopt, "10115",     "DE"};
  order.lines = {{"SKU-1", 7, "Lamp", 2, 1000, 2000}};
  store_->createPending(order, ref);
  // And one that died between claiming its key and creating the order.
  ASSERT_EQ(store_->claimKey({"usr_1", "orphan"}, "h").state, orders::ClaimState::kClaimed);

  auto report = service().recover();
  EXPECT_EQ(report.failed + report.keys_released, 0U);  // younger than recover_after
  advance(50s);
  report = service().recover();
  EXPECT_EQ(report.failed + report.keys_released, 0U);
  advance(20s);
  report = service().recover();
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(report.keys_released, 1U);
  const auto after = store_->find(order.id);
  EXPECT_EQ(after->status, OrderStatus::kFailed);
  EXPECT_EQ(after->payment_status, "not_charged");
  EXPECT_EQ(inventory_.released.load(), 1);
  // The replay of the crashed key answers what recovery decided.
  EXPECT_EQ(store_->claimKey(ref, "h").state, orders::ClaimState::kReplay);
  EXPECT_EQ(store_->claimKey({"usr_1", "orphan"}, "h").state, orders::ClaimState::kClaimed);
}

TEST_P(OrderServiceTest, ACheckoutStillChargingHereIsNeverSwept) {
  payments_.holdCharges();
  auto placed = std::async(std::launch::async, [this] { return checkout("k"); });
  ASSERT_TRUE(payments_.waitUntilCharging(10s));
  advance(24h);  // far past recover_after: only "in flight here" protects it
  const auto report = service().recover();
  EXPECT_EQ(report.failed, 0U);
  EXPECT_EQ(report.keys_released, 0U);
  payments_.releaseCharges();
  const auto r = placed.get();
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(onlyOrderId(OrderStatus::kConfirmed).empty(), false);
  EXPECT_EQ(carts_.emptied.load(), 1);
  EXPECT_EQ(payments_.refunds.load(), 0);
}

// Emptying the cart is an owed effect of the confirmation: when it cannot
// happen right away (here the cart service fails; after a crash the process
// is gone) the sweeper does it later.
TEST_P(OrderServiceTest, AConfirmedOrderWhoseCartWasNotEmptiedIsEmptiedBySweeper) {
  carts_.unavailable = true;
  ASSERT_EQ(checkout("k").status, 201);
  const auto id = onlyOrderId(OrderStatus::kConfirmed);
  EXPECT_TRUE(store_->find(id)->empty_cart);
  EXPECT_EQ(carts_.emptied.load(), 0);
  carts_.unavailable = false;
  advance(24h);
  EXPECT_EQ(service().recover().effects_done, 1U);
  EXPECT_EQ(carts_.emptied.load(), 1);
  EXPECT_FALSE(store_->find(id)->empty_cart);
}

// Partial refunds through the service (issue 14): by amount, by lines (their
// value, with returned stock only for lines marked returned), each a refund at
// the payments service under its own key; 422 naming the field for what does
// not fit; concurrent ones never above the captured total.
TEST_P(OrderServiceTest, PartialRefundsByAmountAndLinesStopAtTheCapturedTotal) {
  ASSERT_EQ(checkout("k").status, 201);  // 2 x 1000 + 499 shipping
  const auto id = onlyOrderId(OrderStatus::kConfirmed);
  const auto fields = [&](const orders::RefundRequest& request) {
    return outcome(service().refund(id, request));
  };
  orders::RefundRequest request;
  request.by = "usr_admin";
  request.lines = {{"SKU-1", 1, true}};
  // Not shipped: nothing can come back into stock.
  EXPECT_EQ(fields(request), "invalid lines[0].returned;");
  request.lines = {{"SKU-9", 1, false}, {"SKU-1", 3, false}};
  EXPECT_EQ(fields(request), "invalid lines[0].sku;lines[1].quantity;");
  request.lines.clear();
  request.amount = 2500;
  EXPECT_EQ(fields(request), "invalid amount;");

  ASSERT_EQ(service().ship(id, "DHL", "TRK-1").value().status, OrderStatus::kShipped);
  // Eight at once, 600 each, with 2499 captured: exactly four fit.
  request.amount = 600;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (fields(request) == "accepted") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(payments_.refunds.load(), 4);
  EXPECT_EQ(payments_.refundedAmount(), 2400);
  auto order = store_->find(id);
  EXPECT_EQ(order->status, OrderStatus::kShipped);  // partial: the status stays
  EXPECT_EQ(order->refunded_total, 2400);
  EXPECT_EQ(order->payment_status, "partially_refunded");
  EXPECT_EQ(events("order.refunded"), 4);

  // Lines with an explicit amount above what is left (99): refused as an
  // amount alone would be, never quietly paid as less.
  request.amount = 500;
  request.lines = {{"SKU-1", 1, true}};
  EXPECT_EQ(fields(request), "invalid amount;");
  EXPECT_EQ(payments_.refunds.load(), 4);

  // By lines: worth 1000 but only 99 left, so 99; the returned unit goes back.
  request.amount.reset();
  request.lines = {{"SKU-1", 1, true}};
  EXPECT_EQ(fields(request), "accepted");
  EXPECT_EQ(inventory_.returnedOf("SKU-1"), 1);
  order = store_->find(id);
  EXPECT_EQ(order->status, OrderStatus::kRefunded);
  EXPECT_EQ(order->refunded_total, order->totals.total);
  EXPECT_EQ(order->payment_status, "refunded");
  EXPECT_EQ(order->refunds.back().amount, 99);
  EXPECT_EQ(payments_.refundedAmount(), 2499);
  EXPECT_EQ(payments_.over_asked.load(), 0);  // never asked more than was captured
  EXPECT_EQ(payments_.refunds.load(), 5);
  // Refunded in full: any further refund is a 409 naming the status.
  request.lines = {{"SKU-1", 1, false}};
  EXPECT_EQ(fields(request), "status refunded");
  EXPECT_EQ(inventory_.returnedOf("SKU-1"), 1);
}

// Every problem of a refund request comes back at once, each naming its
// field (the route renders them as one 422 listing all of them), and nothing
// is refunded; an unknown order is kNotFound, a 404.
TEST_P(OrderServiceTest, RefundProblemsNameEveryField) {
  ASSERT_EQ(checkout("k").status, 201);
  const auto id = onlyOrderId(OrderStatus::kConfirmed);
  orders::RefundRequest request;
  request.lines = {{"SKU-9", 1, false}, {"SKU-1", 3, true}, {"SKU-1", 1, false}};
  const auto refused = service().refund(id, request);
  ASSERT_FALSE(refused);
  ASSERT_EQ(refused.error().kind, orders::OrderError::kInvalid);
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& field : refused.error().fields) fields.emplace_back(field.field, field.message);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"lines[0].sku", "is not in this order"},
      {"lines[1].quantity", "is more than the 2 unit(s) bought and not yet refunded"},
      {"lines[1].returned", "the order has not shipped; nothing can come back"},
      {"lines[2].sku", "appears twice; give each SKU once"},
  };
  EXPECT_EQ(fields, expected);
  const auto problem = orders::toProblem(refused.error());
  EXPECT_EQ(problem.status(), 422);
  EXPECT_EQ(problem.slug(), "validation-error");
  ASSERT_EQ(problem.errors().size(), expected.size());
  EXPECT_EQ(problem.errors()[3].field, "lines[2].sku");
  EXPECT_EQ(problem.detail().rfind("invalid input: lines[0].sku: is not in this order; ", 0), 0U)
      << problem.detail();
  EXPECT_EQ(payments_.refunds.load(), 0);
  EXPECT_EQ(store_->find(id)->refunded_total, 0);

  const auto missing = service().refund("ord_missing", request);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, orders::OrderError::kNotFound);
  EXPECT_EQ(orders::toProblem(missing.error()).status(), 404);
  EXPECT_EQ(orders::toProblem(missing.error()).detail(), "no order ord_missing");
}

// Lines not marked returned leave stock alone; a line refunded in full
// cannot be refunded again; the value of lines is price x quantity.
TEST_P(OrderServiceTest, RefundsByLinesReturnStockOnlyWhenMarkedReturned) {
  ASSERT_EQ(checkout("k").status, 201);
  const auto id = onlyOrderId(OrderStatus::kConfirmed);
  ASSERT_EQ(service().ship(id, "DHL", "TRK-1").value().status, OrderStatus::kShipped);
  orders::RefundRequest request;
  request.lines = {{"SKU-1", 1, false}};
  auto order = service().refund(id, request).value();
  EXPECT_EQ(order.refunded_total, 1000);
  EXPECT_EQ(inventory_.returnedOf("SKU-1"), 0);
  request.lines = {{"SKU-1", 1, true}};
  order = service().refund(id, request).value();
  EXPECT_EQ(order.refunded_total, 2000);
  EXPECT_EQ(inventory_.returnedOf("SKU-1"), 1);
  EXPECT_EQ(order.status, OrderStatus::kShipped);
  EXPECT_EQ(outcome(service().refund(id, request)), "invalid lines[0].quantity;")
      << "a third unit of two was refunded";
  // The sweeper settles nothing twice: every refund is settled already.
  advance(120s);
  EXPECT_EQ(service().recover().effects_done, 0U);
  EXPECT_EQ(payments_.refunds.load(), 2);
  EXPECT_EQ(inventory_.returnedOf("SKU-1"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, OrderServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
