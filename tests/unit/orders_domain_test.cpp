#include <gtest/gtest.h>

#include <limits>
#include <regex>
#include <set>
#include <stdexcept>
#include <vector>

#include "services/orders/domain/order.hpp"
#include "services/orders/order_service.hpp"

namespace emporium::orders {
namespace {

using S = OrderStatus;

TEST(OrderStateMachine, AllowsTheContractsTransitions) {
  EXPECT_TRUE(canTransition(S::kPending, S::kConfirmed));
  EXPECT_TRUE(canTransition(S::kPending, S::kCancelled));
  EXPECT_TRUE(canTransition(S::kConfirmed, S::kShipped));
  EXPECT_TRUE(canTransition(S::kConfirmed, S::kCancelled));
  EXPECT_TRUE(canTransition(S::kConfirmed, S::kRefunded));
  EXPECT_TRUE(canTransition(S::kShipped, S::kDelivered));
  EXPECT_TRUE(canTransition(S::kShipped, S::kRefunded));
  EXPECT_TRUE(canTransition(S::kDelivered, S::kRefunded));
}

TEST(OrderStateMachine, RefusesEverythingElse) {
  const std::vector<S> all = {S::kPending,   S::kConfirmed, S::kShipped, S::kDelivered,
                              S::kCancelled, S::kRefunded,  S::kFailed};
  int allowed = 0;
  for (const auto from : all) {
    for (const auto to : all) allowed += canTransition(from, to) ? 1 : 0;
  }
  EXPECT_EQ(allowed, 9);  // the ones listed above, and pending -> failed
  EXPECT_FALSE(canTransition(S::kShipped, S::kCancelled));  // too late to cancel
  EXPECT_FALSE(canTransition(S::kCancelled, S::kConfirmed));
  EXPECT_FALSE(canTransition(S::kRefunded, S::kRefunded));
  EXPECT_FALSE(canTransition(S::kPending, S::kShipped));
  // The audit's cases: refunding a cancelled or a pending order, refunding twice.
  EXPECT_FALSE(canTransition(S::kCancelled, S::kRefunded));
  EXPECT_FALSE(canTransition(S::kPending, S::kRefunded));
  // A failed checkout is final, and nothing becomes pending again.
  for (const auto to : all) {
    EXPECT_FALSE(canTransition(S::kFailed, to));
    EXPECT_FALSE(canTransition(to, S::kPending));
  }
}

// allowedFrom is the table the store's conditional write uses: it must say
// exactly what canTransition says, for every pair.
TEST(OrderStateMachine, AllowedFromIsTheTable) {
  EXPECT_EQ(std::vector<S>(allowedFrom(S::kRefunded).begin(), allowedFrom(S::kRefunded).end()),
            (std::vector<S>{S::kConfirmed, S::kShipped, S::kDelivered}));
  EXPECT_EQ(std::vector<S>(allowedFrom(S::kCancelled).begin(), allowedFrom(S::kCancelled).end()),
            (std::vector<S>{S::kPending, S::kConfirmed}));
  EXPECT_TRUE(allowedFrom(S::kPending).empty());
  EXPECT_TRUE(visibleToBuyer(S::kCancelled));
  EXPECT_FALSE(visibleToBuyer(S::kFailed));
}

// A recover_after shorter than the worst-case charge would let the sweeper
// cancel checkouts still charging: refused at start, naming the option.
TEST(OrderRecoveryConfig, RefusesARecoveryWindowShorterThanTheWorstCharge) {
  using std::chrono::milliseconds;
  EXPECT_NO_THROW(validateRecovery(milliseconds(60000), milliseconds(12350)));
  EXPECT_NO_THROW(validateRecovery(milliseconds(12350), milliseconds(12350)));
  try {
    validateRecovery(milliseconds(300), milliseconds(12350));
    ADD_FAILURE() << "a 300 ms recovery window was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("orders.recover_after_ms"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("12350"), std::string::npos);
  }
}

TEST(OrderStatusNames, RoundTrip) {
  for (const auto status : {S::kPending, S::kConfirmed, S::kShipped, S::kDelivered, S::kCancelled,
                            S::kRefunded, S::kFailed}) {
    EXPECT_EQ(parseStatus(statusName(status)), status);
  }
  EXPECT_FALSE(parseStatus("Pending"));
  EXPECT_FALSE(parseStatus(""));
}

TEST(OrderEffects, NamesRoundTripAndEmptyIsNone) {
  EXPECT_EQ(parseStockEffect(stockEffectName(StockEffect::kRelease)), StockEffect::kRelease);
  EXPECT_EQ(parseStockEffect(stockEffectName(StockEffect::kFulfil)), StockEffect::kFulfil);
  EXPECT_EQ(parseStockEffect(""), StockEffect::kNone);
  EXPECT_EQ(parsePaymentEffect(paymentEffectName(PaymentEffect::kRefund)), PaymentEffect::kRefund);
  EXPECT_EQ(parsePaymentEffect(paymentEffectName(PaymentEffect::kCollect)),
            PaymentEffect::kCollect);
  EXPECT_EQ(paymentEffectName(PaymentEffect::kNone), "");
}

std::vector<OrderLine> lines(std::initializer_list<std::pair<std::int64_t, std::int64_t>> l) {
  std::vector<OrderLine> out;
  for (const auto& [price, quantity] : l) out.push_back(OrderLine{"S", 1, "T", quantity, price, 0});
  return out;
}

TEST(PriceOrder, LineTotalsSubtotalAndFlatShipping) {
  auto l = lines({{1999, 2}, {500, 1}});
  const auto totals = priceOrder(l, PricingRules{499, 5000, 0});
  EXPECT_EQ(l[0].line_total, 3998);
  EXPECT_EQ(l[1].line_total, 500);
  EXPECT_EQ(totals.subtotal, 4498);
  EXPECT_EQ(totals.shipping, 499);
  EXPECT_EQ(totals.tax, 0);
  EXPECT_EQ(totals.total, 4997);
}

TEST(PriceOrder, FreeShippingFromThreshold) {
  auto l = lines({{2500, 2}});
  EXPECT_EQ(priceOrder(l, PricingRules{499, 5000, 0}).shipping, 0);
  auto below = lines({{4999, 1}});
  EXPECT_EQ(priceOrder(below, PricingRules{499, 5000, 0}).shipping, 499);
  auto never = lines({{100000, 1}});
  EXPECT_EQ(priceOrder(never, PricingRules{499, 0, 0}).shipping, 499);  // 0: never free
}

TEST(PriceOrder, TaxRoundsHalfUpInIntegers) {
  auto l = lines({{1005, 1}});
  // 8.25 % of 10.05 = 0.829125 -> 83 cents
  EXPECT_EQ(priceOrder(l, PricingRules{0, 0, 825}).tax, 83);
  auto half = lines({{10, 1}});
  // 5 % of 0.10 = 0.005 -> rounds up to 1 cent
  EXPECT_EQ(priceOrder(half, PricingRules{0, 0, 500}).tax, 1);
  auto total = lines({{10000, 1}});
  const auto t = priceOrder(total, PricingRules{499, 0, 1900});
  EXPECT_EQ(t.tax, 1900);
  EXPECT_EQ(t.total, 10000 + 499 + 1900);
}

TEST(PriceOrder, OverflowIsAnErrorNotAWrap) {
  auto l = lines({{std::numeric_limits<std::int64_t>::max() / 2, 3}});
  EXPECT_THROW(priceOrder(l, PricingRules{}), std::overflow_error);
}

TEST(OrderNumber, ReadableAndVaried) {
  const std::regex shape("EM-[0-9]{6}-[0-9A-HJKMNP-TV-Z]{6}");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto number = newOrderNumber();
    EXPECT_TRUE(std::regex_match(number, shape)) << number;
    seen.insert(number);
  }
  EXPECT_GT(seen.size(), 195U);  // 30 random bits: collisions in 200 draws are very rare
}

}  // namespace
}  // namespace emporium::orders
