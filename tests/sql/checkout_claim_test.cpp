// Checkout's claim of the Idempotency-Key on both backends: the first
// request owns the key, a finished one's stored bytes are replayed as they
// are, another body is refused, and a request arriving while another runs
// waits for its outcome (or takes the key over when that one gave it up).

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "core/sql/migrations.hpp"
#include "orders_database_test.hpp"
#include "services/orders/checkout/claim.hpp"
#include "services/orders/storage/schema.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

using namespace std::chrono_literals;
using orders::checkout::CheckoutRefusal;
using orders::checkout::claimKey;

class CheckoutClaim : public OrdersDatabaseTest {
 protected:
  static orders::CheckoutRequest request(const std::string& cart_id) {
    orders::CheckoutRequest r;
    r.user_id = "usr_1";
    r.idempotency_key = "k";
    r.cart_id = cart_id;
    r.shipping_address = orders::ShippingAddress{"Ada L",      "1 Main St", std::nullopt, "Berlin",
                                                 std::nullopt, "10115",     "DE"};
    r.card_token = "tok_1";
    return r;
  }

  const orders::IdempotencyRef ref_{"usr_1", "k"};
};

TEST_P(CheckoutClaim, ReplayReturnsTheStoredBytes) {
  const auto hash = orders::checkout::requestHash(request("cart_1"));
  const auto first = claimKey(*store_, ref_, hash, 0ms);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first.value().owned());
  // Bytes a JSON parser would normalise (spacing, escapes, key order) stay as stored.
  const std::string body = "{\"id\":\"ord_1\",  \"note\":\"caf\\u00e9\",\"a\":1}";
  store_->saveResponse(ref_, {201, body});
  const auto again = claimKey(*store_, ref_, hash, 0ms);
  ASSERT_TRUE(again);
  ASSERT_FALSE(again.value().owned());
  EXPECT_EQ(again.value().replay->status, 201);
  EXPECT_EQ(again.value().replay->body, body);
  // The buyer's address is not part of the body: a retry from elsewhere replays too.
  auto moved = request("cart_1");
  moved.client_address = "10.9.9.9";
  EXPECT_EQ(orders::checkout::requestHash(moved), hash);
}

TEST_P(CheckoutClaim, MismatchedBodyIsRefused) {
  ASSERT_TRUE(claimKey(*store_, ref_, orders::checkout::requestHash(request("cart_1")), 0ms));
  const auto other = orders::checkout::requestHash(request("cart_2"));
  // While the first runs, and after it finished: another body never shares its key.
  auto refused = claimKey(*store_, ref_, other, 0ms);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, CheckoutRefusal::kKeyMismatch);
  store_->saveResponse(ref_, {201, "{}"});
  refused = claimKey(*store_, ref_, other, 0ms);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, CheckoutRefusal::kKeyMismatch);
  // Another user's key of the same name is theirs.
  EXPECT_TRUE(claimKey(*store_, {"usr_2", "k"}, other, 0ms));
}

TEST_P(CheckoutClaim, AnotherRequestsClaimIsWaitedFor) {
  const auto hash = orders::checkout::requestHash(request("cart_1"));
  ASSERT_TRUE(claimKey(*store_, ref_, hash, 0ms).value().owned());
  // No waiting allowed: still running is the answer.
  const auto busy = claimKey(*store_, ref_, hash, 0ms);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().kind, CheckoutRefusal::kInProgress);

  // A second request waits; the first finishes: its answer is the second's.
  auto waiting = std::async(std::launch::async, [&] { return claimKey(*store_, ref_, hash, 30s); });
  EXPECT_EQ(waiting.wait_for(100ms), std::future_status::timeout) << "answered while running";
  store_->saveResponse(ref_, {402, "{\"declined\":true}"});
  const auto replayed = waiting.get();
  ASSERT_TRUE(replayed);
  ASSERT_FALSE(replayed.value().owned());
  EXPECT_EQ(replayed.value().replay->status, 402);

  // One that gives the key up (a refusal not replayed): the waiter takes it over.
  const orders::IdempotencyRef other{"usr_1", "k2"};
  ASSERT_TRUE(claimKey(*store_, other, hash, 0ms).value().owned());
  auto taker = std::async(std::launch::async, [&] { return claimKey(*store_, other, hash, 30s); });
  EXPECT_EQ(taker.wait_for(100ms), std::future_status::timeout) << "answered while running";
  store_->releaseKey(other);
  const auto taken = taker.get();
  ASSERT_TRUE(taken);
  EXPECT_TRUE(taken.value().owned());
  // ... and now owns it: the next one waits on it in turn.
  const auto next = claimKey(*store_, other, hash, 0ms);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().kind, CheckoutRefusal::kInProgress);
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckoutClaim,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
