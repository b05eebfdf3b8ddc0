// Payments' pure logic: card numbers (Luhn, brand, expiry), charge requests,
// and how the provider adapter is wired from the configuration.

#include <gtest/gtest.h>

#include "services/payments/domain/card.hpp"
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

// The orders sweeper must wait at least this long before taking a pending
// checkout for abandoned: 4 attempts of 3 s plus waits of 50, 100 and 200 ms
// (the backoff itself is tested in resilience_test.cpp).
TEST(ProviderRetry, WorstCaseCountsEveryConfiguredAttempt) {
  EXPECT_EQ(worstCase(RetryOptions{}, 3000ms), 12350ms);
  EXPECT_EQ(worstCase(RetryOptions{1, 50ms, 1000ms}, 3000ms), 3000ms);
  EXPECT_EQ(worstCase(RetryOptions{0, 50ms, 1000ms}, 3000ms), 3000ms);  // at least one try
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
  // A fixed cool-down: a provider still down after 5 s is probed again after 5 s.
  EXPECT_EQ(providerOptions(c).breaker.cooldown, 5000ms);
  EXPECT_EQ(providerOptions(c).breaker.max_cooldown, 5000ms);
  EXPECT_TRUE(providerOptions(c).secret.empty());
  c.sandbox_secret = "sandbox-secret-0123456789";
  EXPECT_EQ(providerOptions(c).secret, "sandbox-secret-0123456789");  // sent as the Bearer key
}

}  // namespace
}  // namespace emporium::payments
