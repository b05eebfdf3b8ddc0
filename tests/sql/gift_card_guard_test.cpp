// Wrong gift-card codes capped per payer and per address (GiftCardGuard over
// the payments database's gift_card_* tables), through PaymentsService on
// both backends: the caps, a right code refused past them, successes and
// low balances that do not count, the sliding window, concurrent guesses,
// one answer for every code that does not pay here; and generated codes.

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/log/logger.hpp"
#include "core/sql/migrations.hpp"
#include "services/payments/domain/gift_card_code.hpp"
#include "services/payments/domain/gift_card_guard.hpp"
#include "services/payments/payments_service.hpp"
#include "services/payments/storage/schema.hpp"
#include "sql_test_support.hpp"

namespace emporium::payments {
namespace {

using sql::test::SqlTest;

constexpr std::int64_t kGiftCardStart = 1'800'000'000;

// Gift cards never reach the card provider.
class NoCardProvider final : public CardProvider {
 public:
  ProviderCharge charge(const std::string&, std::int64_t, const std::string&, const std::string&,
                        const std::string&) override {
    throw std::logic_error("a gift card charge reached the card provider");
  }
  ProviderRefund refund(const std::string&, const std::string&, std::int64_t) override {
    throw std::logic_error("a gift card refund reached the card provider");
  }
};

class GiftCardGuardTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
    outbox_ = std::make_unique<events::Outbox>("payments", *db_, doorbell_);
    store_ = std::make_unique<PaymentStore>(*db_, *outbox_);
    ledger_ = std::make_unique<ratelimit::FailureLedger>(*db_, "gift_card");
    guard_ =
        std::make_unique<GiftCardGuard>(*ledger_, GiftCardLimits{}, [this] { return now_.load(); });
    service_ = std::make_unique<PaymentsService>(*store_, provider_, logger_, guard_.get());
    ASSERT_TRUE(service_->createGiftCard("GOOD-0001", 100'000, "USD").has_value());
  }

  ChargeResult pay(const std::string& payer, const std::string& address, const std::string& code,
                   std::int64_t amount = 100) {
    const std::string order = "ord_" + std::to_string(++orders_);
    ChargeRequest r{order, order, Method::kGiftCard, "", code, amount, "USD", payer};
    r.client_address = address;
    return service_->charge(r);
  }
  ChargeOutcome guess(const std::string& payer, const std::string& address) {
    return pay(payer, address, "NOPE-" + std::to_string(orders_)).outcome;
  }

  std::atomic<std::int64_t> now_{kGiftCardStart};
  std::atomic<int> orders_{0};
  log::Logger logger_{log::Level::kError};
  NoCardProvider provider_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<PaymentStore> store_;
  std::unique_ptr<ratelimit::FailureLedger> ledger_;
  std::unique_ptr<GiftCardGuard> guard_;
  std::unique_ptr<PaymentsService> service_;
};

TEST_P(GiftCardGuardTest, TheSixthAttemptOfAPayerIsRefusedEvenWithTheRightCode) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(guess("user:ada", "198.51.100.1"), ChargeOutcome::kInvalid) << i + 1;
  }
  const auto held = pay("user:ada", "198.51.100.1", "GOOD-0001");
  EXPECT_EQ(held.outcome, ChargeOutcome::kThrottled);
  EXPECT_FALSE(held.payment.has_value());
  EXPECT_GT(held.retry_after.count(), 3500);
  EXPECT_LE(held.retry_after.count(), 3600);
  // From another address too: the cap is the payer's.
  EXPECT_EQ(pay("user:ada", "203.0.113.5", "GOOD-0001").outcome, ChargeOutcome::kThrottled);
  EXPECT_EQ(service_->giftCard("GOOD-0001")->balance, 100'000);
  // Another payer from another address is not held back.
  EXPECT_EQ(pay("user:bob", "203.0.113.6", "GOOD-0001").outcome, ChargeOutcome::kCaptured);
  // Nor, below its own cap, from Ada's address.
  EXPECT_EQ(pay("user:cy", "198.51.100.1", "GOOD-0001").outcome, ChargeOutcome::kCaptured);
}

TEST_P(GiftCardGuardTest, AnAddressHoldsTwentyFailuresWhateverThePayer) {
  for (int i = 0; i < 20; ++i) {
    // A guest making a new cart for every guess.
    EXPECT_EQ(guess("cart:c" + std::to_string(i), "198.51.100.7"), ChargeOutcome::kInvalid) << i;
  }
  EXPECT_EQ(pay("cart:fresh", "198.51.100.7", "GOOD-0001").outcome, ChargeOutcome::kThrottled);
  EXPECT_EQ(pay("cart:fresh", "198.51.100.8", "GOOD-0001").outcome, ChargeOutcome::kCaptured);
}

TEST_P(GiftCardGuardTest, AnIPv6ClientCountsPerSlash64NotPerAddress) {
  // Rotating through the 2^64 addresses of one /64 buys no fresh guesses.
  for (int i = 0; i < 20; ++i) {
    const std::string address = "2001:db8:1:2::" + std::to_string(100 + i);
    EXPECT_EQ(guess("cart:v6-" + std::to_string(i), address), ChargeOutcome::kInvalid) << i;
  }
  EXPECT_EQ(pay("cart:v6-fresh", "2001:db8:1:2:ffff::1", "GOOD-0001").outcome,
            ChargeOutcome::kThrottled);
  // The next /64 is another client.
  EXPECT_EQ(pay("cart:v6-fresh", "2001:db8:1:3::1", "GOOD-0001").outcome, ChargeOutcome::kCaptured);
}

TEST_P(GiftCardGuardTest, RightCodesAndLowBalancesAreNoFailures) {
  ASSERT_TRUE(service_->createGiftCard("SMALL-01", 50, "USD").has_value());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(pay("user:ada", "198.51.100.1", "good-0001").outcome, ChargeOutcome::kCaptured);
    EXPECT_EQ(pay("user:ada", "198.51.100.1", "SMALL-01", 500).outcome,
              ChargeOutcome::kInsufficientFunds);
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(guess("user:ada", "198.51.100.1"), ChargeOutcome::kInvalid);
  EXPECT_EQ(pay("user:ada", "198.51.100.1", "GOOD-0001").outcome, ChargeOutcome::kCaptured);
}

TEST_P(GiftCardGuardTest, TheWindowSlides) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(guess("user:ada", "198.51.100.1"), ChargeOutcome::kInvalid);
    now_ += 60;
  }
  EXPECT_EQ(guess("user:ada", "198.51.100.1"), ChargeOutcome::kThrottled);
  now_ = kGiftCardStart + 3600;  // the first failure has left the window
  EXPECT_EQ(pay("user:ada", "198.51.100.1", "GOOD-0001").outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(guess("user:ada", "198.51.100.1"), ChargeOutcome::kInvalid);
  EXPECT_EQ(guess("user:ada", "198.51.100.1"), ChargeOutcome::kThrottled);
}

TEST_P(GiftCardGuardTest, ConcurrentGuessesCannotPassTheCapTogether) {
  std::atomic<int> tried{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        if (guess("user:ada", "198.51.100.1") == ChargeOutcome::kInvalid) ++tried;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(tried.load(), 5);
}

TEST_P(GiftCardGuardTest, EveryCodeThatDoesNotPayHereGetsOneAnswer) {
  ASSERT_TRUE(service_->createGiftCard("EURO-0001", 5000, "EUR").has_value());
  const auto unknown = pay("user:ada", "198.51.100.1", "NONE-0001");
  const auto elsewhere = pay("user:bob", "198.51.100.2", "EURO-0001");
  EXPECT_EQ(unknown.outcome, ChargeOutcome::kInvalid);
  EXPECT_EQ(elsewhere.outcome, unknown.outcome);
  EXPECT_EQ(elsewhere.detail, unknown.detail);
  // A card of another currency is a guess like an unknown code.
  for (int i = 0; i < 4; ++i) (void)pay("user:bob", "198.51.100.2", "EURO-0001");
  EXPECT_EQ(pay("user:bob", "198.51.100.2", "GOOD-0001").outcome, ChargeOutcome::kThrottled);
}

TEST_P(GiftCardGuardTest, WithoutAGuardNothingIsCapped) {
  PaymentsService unguarded(*store_, provider_, logger_);
  for (int i = 0; i < 30; ++i) {
    ChargeRequest r{"o" + std::to_string(i),
                    "o" + std::to_string(i),
                    Method::kGiftCard,
                    "",
                    "NOPE",
                    100,
                    "USD",
                    "user:ada"};
    r.client_address = "198.51.100.1";
    EXPECT_EQ(unguarded.charge(r).outcome, ChargeOutcome::kInvalid);
  }
}

TEST_P(GiftCardGuardTest, GeneratedCodesAreIssuedAndPay) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto code = generateGiftCardCode();
    ASSERT_EQ(code.size(), 24U);
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 200U);
  const auto card = service_->createGiftCard(*seen.begin(), 700, "USD");
  ASSERT_TRUE(card.has_value());
  EXPECT_EQ(pay("user:ada", "198.51.100.1", card->code, 700).outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(maskGiftCardCode(card->code).substr(0, 20), std::string(20, '*'));
  EXPECT_EQ(maskGiftCardCode(card->code).substr(20), card->code.substr(20));
}

INSTANTIATE_TEST_SUITE_P(Backends, GiftCardGuardTest,
                         ::testing::Values(sql::test::Backend::kSqlite,
                                           sql::test::Backend::kPostgres),
                         sql::test::backendName);

}  // namespace
}  // namespace emporium::payments
