// The payments service over a real database, on both backends: gift-card
// debits under concurrency, idempotent charges and refunds, cash on delivery,
// and the card path against a fake provider that keeps one charge per key
// (as real processors do) and can lose its answers.

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "services/payments/payments_service.hpp"
#include "services/payments/sandbox/sandbox_store.hpp"
#include "services/payments/sandbox/schema.hpp"
#include "services/payments/storage/schema.hpp"
#include "sql_test_support.hpp"
#include "support/fakes/fake_card_provider.hpp"

namespace emporium::payments {
namespace {

using sql::test::SqlTest;

using FakeProvider = emporium::test::FakeCardProvider;

class PaymentsTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
    outbox_ = std::make_unique<events::Outbox>("payments", *db_, doorbell_);
    store_ = std::make_unique<PaymentStore>(*db_, *outbox_);
    service_ = std::make_unique<PaymentsService>(*store_, provider_, logger_);
  }

  static ChargeRequest card(const std::string& order, const std::string& token,
                            std::int64_t amount = 1999, const std::string& payer = "user:ada") {
    return {order, order, Method::kCard, token, "", amount, "USD", payer};
  }
  static ChargeRequest gift(const std::string& order, const std::string& code,
                            std::int64_t amount) {
    return {order, order, Method::kGiftCard, "", code, amount, "USD"};
  }
  static ChargeRequest cod(const std::string& order) {
    return {order, order, Method::kCashOnDelivery, "", "", 4999, "USD"};
  }

  std::int64_t count(const std::string& sql_text) {
    return db_->read([&](sql::Session& s) {
      // The text names itself: query names must be unique per text.
      return s.execute(sql::Query{sql_text, sql_text})[0].getInt64(0);
    });
  }

  log::Logger logger_{log::Level::kError};
  FakeProvider provider_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<PaymentStore> store_;
  std::unique_ptr<PaymentsService> service_;
};

TEST_P(PaymentsTest, GiftCardDebitsAreAtomicUnderConcurrency) {
  ASSERT_TRUE(service_->createGiftCard("gift-0001", 100, "USD").has_value());
  constexpr int kThreads = 20;
  std::atomic<int> captured{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const auto r = service_->charge(gift("ord_" + std::to_string(i), "GIFT-0001", 10));
      if (r.outcome == ChargeOutcome::kCaptured) ++captured;
      if (r.outcome == ChargeOutcome::kInsufficientFunds) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(captured.load(), 10);
  EXPECT_EQ(refused.load(), 10);
  EXPECT_EQ(service_->giftCard("gift-0001")->balance, 0);
  // The ledger explains the balance: +100 issued, ten times -10.
  EXPECT_EQ(count("SELECT COALESCE(SUM(delta), 0) FROM gift_card_ledger"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM gift_card_ledger WHERE delta < 0"), 10);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE status = 'captured'"), 10);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE status = 'declined'"), 10);
}

TEST_P(PaymentsTest, GiftCardChargeWithOneKeyDebitsOnceEvenConcurrently) {
  ASSERT_TRUE(service_->createGiftCard("GIFT-0002", 100, "USD").has_value());
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> captured{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (service_->charge(gift("ord_same", "gift-0002", 30)).outcome == ChargeOutcome::kCaptured) {
        ++captured;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(captured.load(), 8);  // every caller sees the one payment
  EXPECT_EQ(service_->giftCard("GIFT-0002")->balance, 70);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 1);
}

TEST_P(PaymentsTest, GiftCardRefusalsNameTheReasonAndDebitNothing) {
  ASSERT_TRUE(service_->createGiftCard("GIFT-0003", 500, "USD").has_value());
  EXPECT_EQ(service_->charge(gift("ord_a", "NOPE-0000", 100)).outcome, ChargeOutcome::kInvalid);
  auto eur = gift("ord_b", "GIFT-0003", 100);
  eur.currency = "EUR";
  EXPECT_EQ(service_->charge(eur).outcome, ChargeOutcome::kInvalid);
  const auto nsf = service_->charge(gift("ord_c", "GIFT-0003", 501));
  EXPECT_EQ(nsf.outcome, ChargeOutcome::kInsufficientFunds);
  EXPECT_FALSE(nsf.detail.empty());
  EXPECT_EQ(service_->giftCard("GIFT-0003")->balance, 500);
  const auto exact = service_->charge(gift("ord_d", "gift-0003", 500));
  EXPECT_EQ(exact.outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(service_->giftCard("GIFT-0003")->balance, 0);
}

TEST_P(PaymentsTest, GiftCardCodesAreUniqueCaseInsensitively) {
  const auto card = service_->createGiftCard("Summer-2026", 2500, "EUR");
  ASSERT_TRUE(card.has_value());
  EXPECT_EQ(card->code, "SUMMER-2026");
  EXPECT_FALSE(service_->createGiftCard("SUMMER-2026", 1, "EUR").has_value());
  EXPECT_EQ(service_->giftCard("summer-2026")->balance, 2500);
  EXPECT_FALSE(service_->giftCard("WINTER-2026").has_value());
}

TEST_P(PaymentsTest, GiftCardBalanceCanNeverGoNegative) {
  ASSERT_TRUE(service_->createGiftCard("GIFT-0004", 10, "USD").has_value());
  // Even a write that skips the service is stopped by the CHECK.
  sql::test::expectError(sql::ErrorKind::kCheckViolation, [&] {
    db_->write([](sql::Session& s) {
      s.execute({"test.overdraw", "UPDATE gift_cards SET balance = balance - 11"});
    });
  });
}

TEST_P(PaymentsTest, CardChargeIsIdempotentPerKey) {
  const auto first = service_->charge(card("ord_1", "tok_ok"));
  ASSERT_EQ(first.outcome, ChargeOutcome::kCaptured);
  ASSERT_TRUE(first.payment.has_value());
  EXPECT_EQ(first.payment->card_brand, "visa");
  EXPECT_EQ(first.payment->card_last4, "4242");
  const auto again = service_->charge(card("ord_1", "tok_ok"));
  EXPECT_EQ(again.outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(again.payment->id, first.payment->id);
  EXPECT_EQ(provider_.charge_calls.load(), 1);  // a final payment is answered from the table
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments WHERE provider_charge_id = 'ch_1'"), 1);
}

TEST_P(PaymentsTest, ACardTokenPaysForItsFirstPayerOnly) {
  ASSERT_EQ(service_->charge(card("ord_a1", "tok_ok", 1000, "user:a")).outcome,
            ChargeOutcome::kCaptured);
  // Another customer presenting the same token is refused before the provider is asked.
  const auto stolen = service_->charge(card("ord_b1", "tok_ok", 1000, "user:b"));
  EXPECT_EQ(stolen.outcome, ChargeOutcome::kInvalid);
  EXPECT_NE(stolen.detail.find("another customer"), std::string::npos) << stolen.detail;
  EXPECT_FALSE(stolen.payment.has_value());
  EXPECT_EQ(provider_.charge_calls.load(), 1);
  EXPECT_FALSE(service_->forOrder("ord_b1").has_value());
  // Its owner may use it again, and a guest cart is a payer of its own.
  EXPECT_EQ(service_->charge(card("ord_a2", "tok_ok", 1000, "user:a")).outcome,
            ChargeOutcome::kCaptured);
  EXPECT_EQ(service_->charge(card("ord_g1", "tok_ok", 1000, "cart:c1")).outcome,
            ChargeOutcome::kInvalid);
  // A charge without a payer is refused outright.
  EXPECT_EQ(service_->charge(card("ord_x", "tok_ok", 1000, "")).outcome, ChargeOutcome::kInvalid);

  // Racing payers for one fresh token: exactly one gets it.
  constexpr int kThreads = 8;
  std::atomic<int> captured{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const auto n = std::to_string(i);
      if (service_->charge(card("ord_r" + n, "tok_fresh", 1000, "user:r" + n)).outcome ==
          ChargeOutcome::kCaptured) {
        ++captured;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(captured.load(), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM card_token_owners WHERE token = 'tok_fresh'"), 1);

  // A token a guest cart paid with first is that cart's: neither a customer
  // nor another cart may use it, the cart itself may again.
  EXPECT_EQ(service_->charge(card("ord_g2", "tok_guest", 1000, "cart:c2")).outcome,
            ChargeOutcome::kCaptured);
  EXPECT_EQ(service_->charge(card("ord_g3", "tok_guest", 1000, "user:a")).outcome,
            ChargeOutcome::kInvalid);
  EXPECT_EQ(service_->charge(card("ord_g4", "tok_guest", 1000, "cart:c3")).outcome,
            ChargeOutcome::kInvalid);
  EXPECT_EQ(service_->charge(card("ord_g5", "tok_guest", 1000, "cart:c2")).outcome,
            ChargeOutcome::kCaptured);
}

// A payer's claim on a token goes only when the provider says the token is
// another customer's; a token refused for any other reason stays its payer's
// (else the next presenter would become its "first payer").
TEST_P(PaymentsTest, AClaimIsReleasedOnlyWhenTheProviderSaysTheTokenIsAnothers) {
  ASSERT_EQ(service_->charge(card("ord_a1", "tok_ok", 1000, "user:a")).outcome,
            ChargeOutcome::kCaptured);
  provider_.refuse_next_as_unusable = true;
  EXPECT_EQ(service_->charge(card("ord_a2", "tok_ok", 1000, "user:a")).outcome,
            ChargeOutcome::kInvalid);
  const int calls = provider_.charge_calls.load();
  EXPECT_EQ(service_->charge(card("ord_b1", "tok_ok", 1000, "user:b")).outcome,
            ChargeOutcome::kInvalid);
  EXPECT_EQ(provider_.charge_calls.load(), calls) << "refused before the provider is asked";

  // A token bound to Ada at the provider: Bob presenting it first is refused
  // there, and his claim goes, so Ada can pay with it.
  provider_.bound["tok_ada"] = "user:a";
  EXPECT_EQ(service_->charge(card("ord_b2", "tok_ada", 1000, "user:b")).outcome,
            ChargeOutcome::kInvalid);
  EXPECT_EQ(count("SELECT COUNT(*) FROM card_token_owners WHERE token = 'tok_ada'"), 0);
  EXPECT_EQ(service_->charge(card("ord_a3", "tok_ada", 1000, "user:a")).outcome,
            ChargeOutcome::kCaptured);
}

TEST_P(PaymentsTest, RefundsMadeAtTheProviderAreRecordedByReconciliation) {
  std::vector<Payment> paid;
  for (const auto* order : {"ord_1", "ord_2", "ord_3"}) {
    const auto r = service_->charge(card(order, "tok_ok"));
    ASSERT_EQ(r.outcome, ChargeOutcome::kCaptured);
    paid.push_back(*r.payment);
  }
  ASSERT_EQ(service_->charge(cod("ord_c")).outcome, ChargeOutcome::kPending);
  // Passes walk payments in id order.
  std::sort(paid.begin(), paid.end(),
            [](const Payment& a, const Payment& b) { return a.id < b.id; });
  const auto status = [&](std::size_t i) { return service_->forOrder(paid[i].order_id)->status; };
  provider_.refundBehindOurBack(paid[1].id);  // the charge key is the payment id
  const std::string since = "2000-01-01T00:00:00.000000Z";

  // Two per pass: the first page holds payments 0 and 1, so the refund shows at once.
  auto report = service_->reconcileRefunds(since, 2);
  EXPECT_EQ(report.checked, 2U);
  EXPECT_EQ(report.refunded, 1U);
  EXPECT_EQ(status(1), "refunded");
  EXPECT_EQ(status(0), "captured");
  EXPECT_EQ(count("SELECT COUNT(*) FROM refunds WHERE provider_refund_id IS NOT NULL"), 1);
  // Announced to orders in the same transaction, with what was left to refund.
  const auto announced = [&] {
    return count("SELECT COUNT(*) FROM outbox WHERE type = 'payment.refunded_at_provider'");
  };
  EXPECT_EQ(announced(), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE type = 'payment.refunded_at_provider' AND "
                  "payload LIKE '%\"order_id\":\"" +
                  paid[1].order_id +
                  "\"%' AND payload LIKE '%\"amount\":" + std::to_string(paid[1].amount) + ",%'"),
            1);
  // The next pass goes on where it stopped (payment 2), the one after starts over.
  report = service_->reconcileRefunds(since, 2);
  EXPECT_EQ(report.checked, 1U);
  provider_.refundBehindOurBack(paid[0].id);
  report = service_->reconcileRefunds(since, 2);
  EXPECT_EQ(report.checked, 2U);  // 0 and 2: payment 1 is no longer captured
  EXPECT_EQ(report.refunded, 1U);
  EXPECT_EQ(status(0), "refunded");
  // Recorded once: a refund of ours afterwards has nothing to do and asks no provider.
  const auto refunds_before = provider_.refund_calls.load();
  EXPECT_EQ(service_->refund(paid[0].order_id), RefundOutcome::kNothingToDo);
  EXPECT_EQ(provider_.refund_calls.load(), refunds_before);
  EXPECT_EQ(count("SELECT COUNT(*) FROM refunds"), 2);
  EXPECT_EQ(announced(), 2) << "each refund made at the provider is announced once";

  // An unreachable provider records nothing and leaves payments as they are.
  provider_.refundBehindOurBack(paid[2].id);
  provider_.reachable = false;
  report = service_->reconcileRefunds(since, 10);
  EXPECT_EQ(report.checked, 1U);
  EXPECT_EQ(report.unanswered, 1U);
  EXPECT_EQ(status(2), "captured");
  provider_.reachable = true;
  // Payments last changed before the window are left alone.
  EXPECT_EQ(service_->reconcileRefunds("2999-01-01T00:00:00.000000Z", 10).checked, 0U);
  EXPECT_EQ(service_->reconcileRefunds(since, 10).refunded, 1U);
  EXPECT_EQ(status(2), "refunded");
  EXPECT_EQ(service_->forOrder("ord_c")->status, "pending");  // cash is never asked about
}

// A provider that lists refunds without the key they were asked under:
// the shop's own refunds are known by the provider's refund id and never
// booked a second time as refunds made at the provider.
TEST_P(PaymentsTest, OurOwnRefundsAreNotTakenForProviderRefundsWhenKeysAreNotEchoed) {
  const auto r = service_->charge(card("ord_1", "tok_ok"));
  ASSERT_EQ(r.outcome, ChargeOutcome::kCaptured);
  ASSERT_EQ(service_->refundPart("ord_1", "rf_1", 300), RefundOutcome::kRefunded);
  provider_.list_refunds = true;
  provider_.echo_refund_keys = false;
  const auto report = service_->reconcileRefunds("2000-01-01T00:00:00.000000Z", 10);
  EXPECT_EQ(report.checked, 1U);
  EXPECT_EQ(report.refunded, 0U);
  EXPECT_EQ(count("SELECT COUNT(*) FROM refunds"), 1);
  EXPECT_EQ(count("SELECT refunded_amount FROM payments"), 300);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox"), 0) << "the shop's own refunds announce nothing";
}

TEST_P(PaymentsTest, KeyReusedForAnotherPaymentIsRefused) {
  ASSERT_EQ(service_->charge(card("ord_1", "tok_ok", 1000)).outcome, ChargeOutcome::kCaptured);
  const auto other = service_->charge(card("ord_1", "tok_ok", 2000));
  EXPECT_EQ(other.outcome, ChargeOutcome::kInvalid);
  EXPECT_EQ(provider_.charge_calls.load(), 1);
}

TEST_P(PaymentsTest, CardRefusalsAreFinal) {
  EXPECT_EQ(service_->charge(card("ord_d", "tok_decline")).outcome, ChargeOutcome::kDeclined);
  EXPECT_EQ(service_->charge(card("ord_n", "tok_nsf")).outcome, ChargeOutcome::kInsufficientFunds);
  EXPECT_EQ(service_->charge(card("ord_b", "tok_bad")).outcome, ChargeOutcome::kInvalid);
  EXPECT_EQ(service_->forOrder("ord_d")->status, "declined");
  EXPECT_EQ(service_->forOrder("ord_b")->status, "failed");
  // Replays answer from the table.
  EXPECT_EQ(service_->charge(card("ord_d", "tok_decline")).outcome, ChargeOutcome::kDeclined);
  EXPECT_EQ(provider_.charge_calls.load(), 3);
  EXPECT_EQ(service_->refund("ord_d"), RefundOutcome::kNothingToDo);
}

TEST_P(PaymentsTest, UnansweredChargeStaysPendingAndARetryFindsTheSameCharge) {
  provider_.lose_answers = 1;
  const auto lost = service_->charge(card("ord_1", "tok_ok"));
  EXPECT_EQ(lost.outcome, ChargeOutcome::kUnavailable);
  EXPECT_EQ(service_->forOrder("ord_1")->status, "pending");
  const auto retry = service_->charge(card("ord_1", "tok_ok"));
  EXPECT_EQ(retry.outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(provider_.charges_made.load(), 1);  // the retry reused the key: one charge
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 1);
}

TEST_P(PaymentsTest, ProviderDownLeavesThePaymentPending) {
  provider_.reachable = false;
  const auto r = service_->charge(card("ord_1", "tok_ok"));
  EXPECT_EQ(r.outcome, ChargeOutcome::kUnavailable);
  ASSERT_TRUE(r.payment.has_value());
  EXPECT_EQ(r.payment->status, "pending");
  // The refund cannot tell either: the caller retries it later.
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kUnavailable);
  EXPECT_EQ(service_->forOrder("ord_1")->status, "pending");
  provider_.reachable = true;
  // Never charged: given up, nothing to refund.
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kNothingToDo);
  EXPECT_EQ(service_->forOrder("ord_1")->status, "failed");
}

TEST_P(PaymentsTest, PendingCardChargedBehindOurBackIsRefundedByKey) {
  provider_.lose_answers = 1;
  ASSERT_EQ(service_->charge(card("ord_1", "tok_ok")).outcome, ChargeOutcome::kUnavailable);
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kRefunded);
  EXPECT_EQ(service_->forOrder("ord_1")->status, "refunded");
  EXPECT_EQ(provider_.refunds_made.load(), 1);
}

TEST_P(PaymentsTest, AnsweredChargeIsReturnedWhenARefundGaveThePaymentUpMeanwhile) {
  provider_.reachable = false;
  ASSERT_EQ(service_->charge(card("ord_1", "tok_ok")).outcome, ChargeOutcome::kUnavailable);
  provider_.reachable = true;
  // The saga retries the charge; while that call is on its way to the
  // provider, the order is cancelled and the refund finds no charge yet.
  bool cancelled = false;
  provider_.before_charge = [&] {
    if (cancelled) return;
    cancelled = true;
    EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kNothingToDo);
    EXPECT_EQ(service_->forOrder("ord_1")->status, "failed");
  };
  const auto late = service_->charge(card("ord_1", "tok_ok"));
  EXPECT_TRUE(cancelled);
  EXPECT_NE(late.outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(provider_.charges_made.load(), 1);
  EXPECT_EQ(provider_.refunds_made.load(), 1);  // the money went straight back
  EXPECT_EQ(service_->forOrder("ord_1")->status, "refunded");
  EXPECT_EQ(count("SELECT COUNT(*) FROM refunds"), 1);
}

TEST_P(PaymentsTest, ReplayOfAnAbandonedPaymentChargesNothing) {
  provider_.reachable = false;
  ASSERT_EQ(service_->charge(card("ord_1", "tok_ok")).outcome, ChargeOutcome::kUnavailable);
  provider_.reachable = true;
  ASSERT_EQ(service_->refund("ord_1"), RefundOutcome::kNothingToDo);
  const int calls = provider_.charge_calls.load();
  EXPECT_EQ(service_->charge(card("ord_1", "tok_ok")).outcome, ChargeOutcome::kUnavailable);
  EXPECT_EQ(provider_.charge_calls.load(), calls);
  EXPECT_EQ(provider_.charges_made.load(), 0);
}

TEST_P(PaymentsTest, CardRefundIsIdempotent) {
  const auto paid = service_->charge(card("ord_1", "tok_ok"));
  ASSERT_EQ(paid.outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kRefunded);
  EXPECT_EQ(provider_.last_refund_key, paid.payment->id + ":refund");
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kNothingToDo);
  EXPECT_EQ(provider_.refunds_made.load(), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM refunds"), 1);
  EXPECT_EQ(service_->forOrder("ord_1")->status, "refunded");
  // A replayed charge still names the payment, now refunded, and charges nothing.
  const auto replay = service_->charge(card("ord_1", "tok_ok"));
  EXPECT_EQ(replay.payment->status, "refunded");
  EXPECT_EQ(provider_.charge_calls.load(), 1);
}

TEST_P(PaymentsTest, ConcurrentRefundsRefundOnce) {
  ASSERT_TRUE(service_->createGiftCard("GIFT-0005", 100, "USD").has_value());
  ASSERT_EQ(service_->charge(gift("ord_1", "GIFT-0005", 60)).outcome, ChargeOutcome::kCaptured);
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> refunded{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (service_->refund("ord_1") == RefundOutcome::kRefunded) ++refunded;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refunded.load(), 1);
  EXPECT_EQ(service_->giftCard("GIFT-0005")->balance, 100);
  EXPECT_EQ(count("SELECT COUNT(*) FROM refunds"), 1);
}

TEST_P(PaymentsTest, GiftCardRefundCreditsTheBalanceBack) {
  ASSERT_TRUE(service_->createGiftCard("GIFT-0006", 100, "USD").has_value());
  ASSERT_EQ(service_->charge(gift("ord_1", "GIFT-0006", 75)).outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(service_->giftCard("GIFT-0006")->balance, 25);
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kRefunded);
  EXPECT_EQ(service_->giftCard("GIFT-0006")->balance, 100);
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kNothingToDo);
  EXPECT_EQ(service_->giftCard("GIFT-0006")->balance, 100);
  EXPECT_EQ(count("SELECT COALESCE(SUM(delta), 0) FROM gift_card_ledger"), 100);
}

TEST_P(PaymentsTest, CashOnDeliveryIsPendingUntilCollected) {
  const auto r = service_->charge(cod("ord_1"));
  EXPECT_EQ(r.outcome, ChargeOutcome::kPending);
  EXPECT_EQ(service_->charge(cod("ord_1")).outcome, ChargeOutcome::kPending);
  EXPECT_EQ(count("SELECT COUNT(*) FROM payments"), 1);
  service_->markCollected("ord_1");
  EXPECT_EQ(service_->forOrder("ord_1")->status, "captured");
  service_->markCollected("ord_1");  // no-op
  EXPECT_EQ(service_->forOrder("ord_1")->status, "captured");
  EXPECT_EQ(provider_.charge_calls.load(), 0);
}

TEST_P(PaymentsTest, CashOnDeliveryCancelledBeforeCollectionIsVoided) {
  ASSERT_EQ(service_->charge(cod("ord_1")).outcome, ChargeOutcome::kPending);
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kRefunded);
  EXPECT_EQ(service_->forOrder("ord_1")->status, "voided");
  EXPECT_EQ(service_->refund("ord_1"), RefundOutcome::kNothingToDo);
  service_->markCollected("ord_1");  // too late: stays voided
  EXPECT_EQ(service_->forOrder("ord_1")->status, "voided");
  EXPECT_EQ(provider_.refund_calls.load(), 0);
}

TEST_P(PaymentsTest, NoPaymentNothingToDo) {
  EXPECT_EQ(service_->refund("ord_none"), RefundOutcome::kNothingToDo);
  EXPECT_FALSE(service_->forOrder("ord_none").has_value());
  service_->markCollected("ord_none");
}

TEST_P(PaymentsTest, ForOrderIsTheLatestPayment) {
  ASSERT_EQ(service_->charge(card("ord_1", "tok_decline")).outcome, ChargeOutcome::kDeclined);
  auto second = card("ord_1", "tok_ok");
  second.idempotency_key = "ord_1-2";
  ASSERT_EQ(service_->charge(second).outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(service_->forOrder("ord_1")->status, "captured");
}

// Partial refunds (issue 14): several per payment, one per key however often
// asked, never above the payment; a gift card is credited back each part, a
// card refunded at the provider under one key per part, cash on delivery not
// collected yet voided once nothing is left to collect.
TEST_P(PaymentsTest, PartialRefundsAddUpToThePaymentAtMost) {
  ASSERT_TRUE(service_->createGiftCard("GIFT-PART", 1000, "USD").has_value());
  ASSERT_EQ(service_->charge(gift("ord_g", "GIFT-PART", 800)).outcome, ChargeOutcome::kCaptured);
  EXPECT_EQ(service_->refundPart("ord_g", "orf_1", 300), RefundOutcome::kRefunded);
  EXPECT_EQ(service_->refundPart("ord_g", "orf_1", 300), RefundOutcome::kRefunded);  // replay
  EXPECT_EQ(service_->giftCard("GIFT-PART")->balance, 500);
  EXPECT_EQ(service_->forOrder("ord_g")->status, "partially_refunded");
  EXPECT_EQ(service_->forOrder("ord_g")->refunded_amount, 300);
  EXPECT_EQ(service_->refundPart("ord_g", "orf_2", 600),
            RefundOutcome::kNothingToDo);  // > 500 left
  EXPECT_EQ(service_->giftCard("GIFT-PART")->balance, 500);
  EXPECT_EQ(service_->refundPart("ord_g", "orf_3", 500), RefundOutcome::kRefunded);
  EXPECT_EQ(service_->forOrder("ord_g")->status, "refunded");
  EXPECT_EQ(service_->giftCard("GIFT-PART")->balance, 1000);
  EXPECT_EQ(count("SELECT COUNT(*) FROM refunds"), 2);

  // A card: eight quarter refunds at once under their own keys, four more
  // than fit: exactly four reach the provider's books.
  ASSERT_EQ(service_->charge(card("ord_c", "tok_ok", 2000)).outcome, ChargeOutcome::kCaptured);
  std::atomic<int> refunded{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (service_->refundPart("ord_c", "orf_c" + std::to_string(i), 500) ==
          RefundOutcome::kRefunded) {
        ++refunded;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refunded.load(), 4);
  EXPECT_EQ(provider_.refunds_made.load(), 4);
  EXPECT_EQ(service_->forOrder("ord_c")->refunded_amount, 2000);
  EXPECT_EQ(service_->forOrder("ord_c")->status, "refunded");
  // The whole-order refund afterwards finds nothing left.
  EXPECT_EQ(service_->refund("ord_c"), RefundOutcome::kNothingToDo);

  // Cash on delivery, not collected: parts are recorded, the rest voids it.
  ASSERT_EQ(service_->charge(cod("ord_d")).outcome, ChargeOutcome::kPending);
  EXPECT_EQ(service_->refundPart("ord_d", "orf_d1", 999), RefundOutcome::kRefunded);
  EXPECT_EQ(service_->forOrder("ord_d")->status, "pending");
  EXPECT_EQ(service_->refundPart("ord_d", "orf_d2", 4000), RefundOutcome::kRefunded);
  EXPECT_EQ(service_->forOrder("ord_d")->status, "voided");
}

INSTANTIATE_TEST_SUITE_P(Backends, PaymentsTest,
                         ::testing::Values(sql::test::Backend::kSqlite,
                                           sql::test::Backend::kPostgres),
                         sql::test::backendName);

// The sandbox provider's records, on both backends: they must survive a
// restart and hold one charge per key and one refund per charge.
class SandboxStoreTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, sandbox::migrations());
    store_ = std::make_unique<sandbox::SandboxStore>(*db_);
  }
  static sandbox::Charge charge(const std::string& id, const std::string& key) {
    return {id,    key,         "tok_1",      100,
            "USD", "succeeded", std::nullopt, "2026-11-26T00:00:0" + id.substr(3) + ".000000Z",
            false};
  }
  std::unique_ptr<sandbox::SandboxStore> store_;
};

TEST_P(SandboxStoreTest, TokensKeepTheirBehaviour) {
  store_->insertToken({"tok_1", "visa", "0119", sandbox::Behaviour::kFailTwice});
  const auto token = store_->token("tok_1");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->behaviour, sandbox::Behaviour::kFailTwice);
  EXPECT_EQ(token->last4, "0119");
  EXPECT_FALSE(store_->token("tok_2").has_value());
  EXPECT_EQ(sandbox::behaviourOf("4000000000000119"), sandbox::Behaviour::kFailTwice);
  EXPECT_EQ(sandbox::behaviourOf("4242424242424242"), sandbox::Behaviour::kApprove);
}

TEST_P(SandboxStoreTest, ExpiredTokensArePurgedUnlessCharged) {
  store_->insertToken(
      {"tok_old", "visa", "4242", sandbox::Behaviour::kApprove, "2026-11-26T00:00:00.000000Z"});
  store_->insertToken(
      {"tok_1", "visa", "4242", sandbox::Behaviour::kApprove, "2026-11-26T00:00:01.000000Z"});
  store_->insertToken(
      {"tok_new", "visa", "4242", sandbox::Behaviour::kApprove, "2026-11-26T00:20:00.000000Z"});
  store_->insertChargeOrGet(charge("ch_1", "k1"));  // names tok_1
  EXPECT_EQ(store_->token("tok_old")->created_at, "2026-11-26T00:00:00.000000Z");
  EXPECT_EQ(store_->purgeUnusedTokensBefore("2026-11-26T00:05:00.000000Z"), 1);
  EXPECT_FALSE(store_->token("tok_old").has_value());
  EXPECT_TRUE(store_->token("tok_1").has_value());  // its charge's replays show its brand
  EXPECT_TRUE(store_->token("tok_new").has_value());
  EXPECT_EQ(store_->purgeUnusedTokensBefore("2026-11-26T00:05:00.000000Z"), 0);
}

TEST_P(SandboxStoreTest, AttemptsCountPerKey) {
  EXPECT_EQ(store_->countAttempt("k1"), 1);
  EXPECT_EQ(store_->countAttempt("k1"), 2);
  EXPECT_EQ(store_->countAttempt("k2"), 1);
  EXPECT_EQ(store_->countAttempt("k1"), 3);
}

TEST_P(SandboxStoreTest, OneChargePerKeyAndOneRefundPerCharge) {
  const auto [first, created] = store_->insertChargeOrGet(charge("ch_1", "k1"));
  EXPECT_TRUE(created);
  const auto [again, created_again] = store_->insertChargeOrGet(charge("ch_2", "k1"));
  EXPECT_FALSE(created_again);
  EXPECT_EQ(again.id, "ch_1");
  store_->insertChargeOrGet(charge("ch_3", "k3"));
  const auto all = store_->listCharges(std::nullopt, 100);
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].id, "ch_3");  // newest first
  EXPECT_EQ(store_->listCharges(std::nullopt, 1).size(), 1U);
  ASSERT_EQ(store_->listCharges(std::string("k1"), 100).size(), 1U);

  const auto refund = store_->insertRefund({"re_1", "r1", "ch_1", "2026-11-26T00:00:09Z", 0});
  EXPECT_EQ(refund.refund->id, "re_1");
  EXPECT_EQ(refund.refund->amount, 100);  // no amount: all of it
  EXPECT_EQ(store_->insertRefund({"re_2", "r2", "ch_1", "2026-11-26T00:00:10Z", 0}).refund->id,
            "re_1");
  EXPECT_EQ(store_->refundByKey("r1")->charge_id, "ch_1");
  EXPECT_FALSE(store_->refundByKey("r2").has_value());
  EXPECT_TRUE(store_->chargeByKey("k1")->refunded);
  EXPECT_FALSE(store_->chargeByKey("k3")->refunded);
}

INSTANTIATE_TEST_SUITE_P(Backends, SandboxStoreTest,
                         ::testing::Values(sql::test::Backend::kSqlite,
                                           sql::test::Backend::kPostgres),
                         sql::test::backendName);

}  // namespace
}  // namespace emporium::payments
