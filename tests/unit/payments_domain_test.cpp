// Payments' pure logic: card numbers (Luhn, brand, expiry), the retry policy's
// backoff with full jitter, and the circuit breaker under an injected clock.

#include <gtest/gtest.h>

#include <set>

#include "services/payments/domain/card.hpp"
#include "services/payments/domain/circuit_breaker.hpp"
#include "services/payments/domain/retry_policy.hpp"
#include "services/payments/payments_module.hpp"
#include "services/payments/payments_service.hpp"

namespace emporium::payments {
namespace {

using namespace std::chrono_literals;

TEST(CardNumber, NormalizesSpacesAndDashes) {
  EXPECT_EQ(normalizeCardNumber("4242 4242-4242 4242"), "4242424242424242");
  EXPECT_EQ(normalizeCardNumber("424242424242"), "424242424242");                // 12 digits
  EXPECT_EQ(normalizeCardNumber("4242424242424242424"), "4242424242424242424");  // 19
  EXPECT_FALSE(normalizeCardNumber("42424242424").has_value());                  // 11
  EXPECT_FALSE(normalizeCardNumber("42424242424242424242").has_value());         // 20
  EXPECT_FALSE(normalizeCardNumber("4242x42424242424").has_value());
  EXPECT_FALSE(normalizeCardNumber("").has_value());
  EXPECT_FALSE(normalizeCardNumber("    -   ").has_value());
}

TEST(CardNumber, LuhnAcceptsTheTestCardsAndRefusesTypos) {
  for (const char* number :
       {"4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119",
        "5555555555554444", "378282246310005", "6011111111111117"}) {
    EXPECT_TRUE(luhnValid(number)) << number;
  }
  EXPECT_FALSE(luhnValid("4242424242424241"));
  EXPECT_FALSE(luhnValid("4242424242424224"));  // two digits swapped
  EXPECT_FALSE(luhnValid(""));
  EXPECT_FALSE(luhnValid("42a2"));
}

TEST(CardNumber, BrandFromThePrefix) {
  EXPECT_EQ(cardBrand("4242424242424242"), "visa");
  EXPECT_EQ(cardBrand("5105105105105100"), "mastercard");
  EXPECT_EQ(cardBrand("5555555555554444"), "mastercard");
  EXPECT_EQ(cardBrand("2221000000000009"), "mastercard");
  EXPECT_EQ(cardBrand("2720990000000007"), "mastercard");
  EXPECT_EQ(cardBrand("2721000000000004"), "unknown");
  EXPECT_EQ(cardBrand("5610591081018250"), "unknown");
  EXPECT_EQ(cardBrand("378282246310005"), "amex");
  EXPECT_EQ(cardBrand("341111111111111"), "amex");
  EXPECT_EQ(cardBrand("6011111111111117"), "discover");
  EXPECT_EQ(cardBrand("6500000000000002"), "discover");
  EXPECT_EQ(cardBrand("3530111333300000"), "unknown");
}

TEST(CardExpiry, ValidThroughTheExpiryMonth) {
  const YearMonth today{2026, 11};
  EXPECT_FALSE(checkExpiry(11, 2026, today).has_value());
  EXPECT_FALSE(checkExpiry(1, 2027, today).has_value());
  EXPECT_FALSE(checkExpiry(12, 26, today).has_value());  // two-digit year
  const auto past = checkExpiry(10, 2026, today);
  ASSERT_TRUE(past.has_value());
  EXPECT_EQ(past->field, "exp_year");
  EXPECT_TRUE(checkExpiry(12, 2025, today).has_value());
  EXPECT_EQ(checkExpiry(13, 2030, today)->field, "exp_month");
  EXPECT_EQ(checkExpiry(0, 2030, today)->field, "exp_month");
  EXPECT_FALSE(checkExpiry(12, 2099, today).has_value());  // test suites' favourite
  EXPECT_TRUE(checkExpiry(1, 2200, today).has_value());    // a century ahead: a typo
}

TEST(CardExpiry, CurrentMonthIsPlausible) {
  const auto now = currentUtcMonth();
  EXPECT_GE(now.year, 2024);
  EXPECT_GE(now.month, 1);
  EXPECT_LE(now.month, 12);
}

TEST(CardCvc, ThreeOrFourDigits) {
  EXPECT_TRUE(cvcValid("123"));
  EXPECT_TRUE(cvcValid("1234"));
  EXPECT_FALSE(cvcValid("12"));
  EXPECT_FALSE(cvcValid("12345"));
  EXPECT_FALSE(cvcValid("12a"));
}

TEST(RetryPolicy, CeilingDoublesFromTheBaseUpToTheCap) {
  const RetryPolicy policy({4, 50ms, 1000ms});
  EXPECT_EQ(policy.ceilingAfter(1), 50ms);
  EXPECT_EQ(policy.ceilingAfter(2), 100ms);
  EXPECT_EQ(policy.ceilingAfter(3), 200ms);
  EXPECT_EQ(policy.ceilingAfter(4), 400ms);
  EXPECT_EQ(policy.ceilingAfter(5), 800ms);
  EXPECT_EQ(policy.ceilingAfter(6), 1000ms);
  EXPECT_EQ(policy.ceilingAfter(1000), 1000ms);  // no overflow however many attempts
}

// The orders sweeper must wait at least this long before taking a pending
// checkout for abandoned: 4 attempts of 3 s plus waits of 50, 100 and 200 ms.
TEST(RetryPolicy, WorstCaseIsEveryAttemptTimingOutPlusEveryCeiling) {
  const RetryPolicy policy(RetryOptions{});
  EXPECT_EQ(policy.worstCase(std::chrono::milliseconds(3000)), std::chrono::milliseconds(12350));
  const RetryPolicy once(
      RetryOptions{1, std::chrono::milliseconds(50), std::chrono::milliseconds(1000)});
  EXPECT_EQ(once.worstCase(std::chrono::milliseconds(3000)), std::chrono::milliseconds(3000));
}

TEST(RetryPolicy, MaxAttemptsCountsTheFirstTry) {
  const RetryPolicy policy({4, 50ms, 1000ms});
  EXPECT_TRUE(policy.mayRetryAfter(1));
  EXPECT_TRUE(policy.mayRetryAfter(3));
  EXPECT_FALSE(policy.mayRetryAfter(4));
  EXPECT_FALSE(RetryPolicy({0, 50ms, 1000ms}).mayRetryAfter(1));  // at least one try
}

TEST(RetryPolicy, FullJitterSpansZeroToTheCeiling) {
  std::int64_t asked = -1;
  const RetryPolicy lowest({4, 50ms, 1000ms}, [&](std::int64_t max) {
    asked = max;
    return 0;
  });
  EXPECT_EQ(lowest.delayAfter(3), 0ms);
  EXPECT_EQ(asked, 200);
  const RetryPolicy highest({4, 50ms, 1000ms}, [](std::int64_t max) { return max; });
  EXPECT_EQ(highest.delayAfter(3), 200ms);
  // A random source out of range is clamped, never trusted.
  const RetryPolicy wild({4, 50ms, 1000ms}, [](std::int64_t max) { return max * 10; });
  EXPECT_EQ(wild.delayAfter(2), 100ms);
}

TEST(RetryPolicy, DefaultRandomStaysInBoundsAndVaries) {
  const RetryPolicy policy({4, 50ms, 1000ms});
  std::set<std::int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto d = policy.delayAfter(4);
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d.count(), 400);
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 100U);  // spread over the range, not a fixed wait
  EXPECT_EQ(randomUpTo(0), 0);
}

class FakeClock {
 public:
  CircuitBreaker::Clock clock() {
    return [this] { return now_; };
  }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

using Admission = CircuitBreaker::Admission;
using State = CircuitBreaker::State;

void failTimes(CircuitBreaker& breaker, int n) {
  for (int i = 0; i < n; ++i) {
    const auto a = breaker.admit();
    ASSERT_EQ(a, Admission::kAllowed);
    breaker.onFailure(a);
  }
}

TEST(CircuitBreaker, OpensAfterTheThresholdOfConsecutiveFailures) {
  FakeClock clock;
  CircuitBreaker breaker({5, 5000ms}, clock.clock());
  failTimes(breaker, 4);
  EXPECT_EQ(breaker.snapshot().state, State::kClosed);
  EXPECT_EQ(breaker.snapshot().consecutive_failures, 4);
  failTimes(breaker, 1);
  const auto s = breaker.snapshot();
  EXPECT_EQ(s.state, State::kOpen);
  EXPECT_EQ(s.times_opened, 1);
  EXPECT_EQ(breaker.admit(), Admission::kRejected);
  EXPECT_EQ(breaker.snapshot().calls_rejected, 1);
}

TEST(CircuitBreaker, ASuccessResetsTheCount) {
  FakeClock clock;
  CircuitBreaker breaker({3, 5000ms}, clock.clock());
  failTimes(breaker, 2);
  const auto a = breaker.admit();
  breaker.onSuccess(a);
  failTimes(breaker, 2);
  EXPECT_EQ(breaker.snapshot().state, State::kClosed);
}

TEST(CircuitBreaker, HalfOpensAfterTheCooldownWithOneProbe) {
  FakeClock clock;
  CircuitBreaker breaker({2, 5000ms}, clock.clock());
  failTimes(breaker, 2);
  clock.advance(4999ms);
  EXPECT_EQ(breaker.admit(), Admission::kRejected);
  clock.advance(1ms);
  const auto probe = breaker.admit();
  EXPECT_EQ(probe, Admission::kProbe);
  EXPECT_EQ(breaker.snapshot().state, State::kHalfOpen);
  // Only one probe at a time.
  EXPECT_EQ(breaker.admit(), Admission::kRejected);
  breaker.onSuccess(probe);
  EXPECT_EQ(breaker.snapshot().state, State::kClosed);
  EXPECT_EQ(breaker.snapshot().consecutive_failures, 0);
  EXPECT_EQ(breaker.admit(), Admission::kAllowed);
}

TEST(CircuitBreaker, AFailedProbeReopensForAnotherCooldown) {
  FakeClock clock;
  CircuitBreaker breaker({2, 5000ms}, clock.clock());
  failTimes(breaker, 2);
  clock.advance(5000ms);
  const auto probe = breaker.admit();
  ASSERT_EQ(probe, Admission::kProbe);
  breaker.onFailure(probe);
  EXPECT_EQ(breaker.snapshot().state, State::kOpen);
  EXPECT_EQ(breaker.snapshot().times_opened, 2);
  clock.advance(4000ms);
  EXPECT_EQ(breaker.admit(), Admission::kRejected);
  clock.advance(1000ms);
  EXPECT_EQ(breaker.admit(), Admission::kProbe);
}

TEST(CircuitBreaker, LateFailuresOfCallsAdmittedBeforeDoNotExtendTheCooldown) {
  FakeClock clock;
  CircuitBreaker breaker({2, 5000ms}, clock.clock());
  const auto early = breaker.admit();
  failTimes(breaker, 2);
  clock.advance(3000ms);
  breaker.onFailure(early);
  clock.advance(2000ms);
  EXPECT_EQ(breaker.admit(), Admission::kProbe);
}

TEST(CircuitBreaker, StateNames) {
  EXPECT_EQ(breakerStateName(State::kClosed), "closed");
  EXPECT_EQ(breakerStateName(State::kOpen), "open");
  EXPECT_EQ(breakerStateName(State::kHalfOpen), "half_open");
}

TEST(ChargeRequest, RefusesWhatCannotBeCharged) {
  ChargeRequest r{"ord_1", "key-1", Method::kCard, "tok_1", "", 1999, "USD", "user:1"};
  EXPECT_FALSE(checkChargeRequest(r).has_value());
  auto bad = r;
  bad.payer.clear();  // a card token is bound to its payer
  EXPECT_TRUE(checkChargeRequest(bad).has_value());
  bad = r;
  bad.amount = 0;
  EXPECT_TRUE(checkChargeRequest(bad).has_value());
  bad = r;
  bad.currency = "usd";
  EXPECT_TRUE(checkChargeRequest(bad).has_value());
  bad = r;
  bad.card_token.clear();
  EXPECT_TRUE(checkChargeRequest(bad).has_value());
  bad = r;
  bad.idempotency_key = "line\nbreak";
  EXPECT_TRUE(checkChargeRequest(bad).has_value());
  bad = r;
  bad.method = Method::kGiftCard;
  EXPECT_TRUE(checkChargeRequest(bad).has_value());  // no code
  bad.gift_card_code = "GIFT-1234";
  EXPECT_FALSE(checkChargeRequest(bad).has_value());
  bad = r;
  bad.method = Method::kCashOnDelivery;
  bad.card_token.clear();
  EXPECT_FALSE(checkChargeRequest(bad).has_value());
}

TEST(ChargeOutcome, StoredPaymentsMapToTheirOutcome) {
  StoredPayment p;
  p.payment.method = Method::kCard;
  p.payment.status = "captured";
  EXPECT_EQ(outcomeOf(p), ChargeOutcome::kCaptured);
  p.payment.status = "pending";
  EXPECT_EQ(outcomeOf(p), ChargeOutcome::kUnavailable);
  p.payment.status = "declined";
  p.decline_reason = "insufficient_funds";
  EXPECT_EQ(outcomeOf(p), ChargeOutcome::kInsufficientFunds);
  p.decline_reason = "card_declined";
  EXPECT_EQ(outcomeOf(p), ChargeOutcome::kDeclined);
  p.payment.status = "failed";
  p.decline_reason = "invalid_token";
  EXPECT_EQ(outcomeOf(p), ChargeOutcome::kInvalid);
  p.payment.method = Method::kCashOnDelivery;
  p.payment.status = "pending";
  p.decline_reason.reset();
  EXPECT_EQ(outcomeOf(p), ChargeOutcome::kPending);
}

TEST(PaymentMethod, ContractSpelling) {
  EXPECT_EQ(methodName(Method::kGiftCard), "gift_card");
  EXPECT_EQ(parseMethod("cod"), Method::kCashOnDelivery);
  EXPECT_FALSE(parseMethod("cash").has_value());
}

TEST(ProviderWiring, ConfiguredUrlWinsElseTheSandboxListener) {
  int asked = 0;
  const auto own = [&asked] {
    ++asked;
    return std::string("http://127.0.0.1:") + std::to_string(8000 + asked);
  };
  EXPECT_EQ(providerBaseUrl(std::string("https://pay.example/v2/"), own)(),
            "https://pay.example/v2");
  EXPECT_EQ(asked, 0);
  const auto self = providerBaseUrl(std::nullopt, own);
  EXPECT_EQ(self(), "http://127.0.0.1:8001/sandbox");
  EXPECT_EQ(self(), "http://127.0.0.1:8002/sandbox");  // asked per call: the port comes late
  EXPECT_EQ(providerBaseUrl(std::string(), own)(), "http://127.0.0.1:8003/sandbox");
}

TEST(ProviderWiring, OptionsFollowTheConfiguredTimeout) {
  config::Config c;
  EXPECT_EQ(providerOptions(c).total_timeout, 3000ms);
  EXPECT_EQ(providerOptions(c).connect_timeout, 1000ms);
  c.payment_provider_timeout = 400ms;
  EXPECT_EQ(providerOptions(c).total_timeout, 400ms);
  EXPECT_EQ(providerOptions(c).connect_timeout, 400ms);
  EXPECT_EQ(providerOptions(c).retry.max_attempts, 4);
  EXPECT_EQ(providerOptions(c).breaker.failure_threshold, 5);
  EXPECT_TRUE(providerOptions(c).secret.empty());
  c.sandbox_secret = "sandbox-secret-0123456789";
  EXPECT_EQ(providerOptions(c).secret, "sandbox-secret-0123456789");  // sent as the Bearer key
}

}  // namespace
}  // namespace emporium::payments
