// The one circuit breaker and the one backoff (core/resilience), under an
// injected clock and an injected random source.

#include "core/resilience/backoff.hpp"
#include "core/resilience/breaker.hpp"

#include <gtest/gtest.h>

#include <set>

namespace emporium::resilience {
namespace {

using namespace std::chrono_literals;

// The card provider's retries: {4 attempts, 50 ms, 1000 ms}, full jitter.
Backoff fullJitter(UniformRandom random = randomUpTo) {
  return Backoff({50ms, 1000ms, Jitter::kFull}, std::move(random));
}

TEST(Backoff, CeilingDoublesFromTheBaseUpToTheCap) {
  const Backoff backoff = fullJitter();
  EXPECT_EQ(backoff.ceilingAfter(1), 50ms);
  EXPECT_EQ(backoff.ceilingAfter(2), 100ms);
  EXPECT_EQ(backoff.ceilingAfter(3), 200ms);
  EXPECT_EQ(backoff.ceilingAfter(4), 400ms);
  EXPECT_EQ(backoff.ceilingAfter(5), 800ms);
  EXPECT_EQ(backoff.ceilingAfter(6), 1000ms);
  EXPECT_EQ(backoff.ceilingAfter(1000), 1000ms);  // no overflow however many attempts
}

// The orders sweeper must wait at least this long before taking a pending
// checkout for abandoned: 4 attempts of 3 s plus waits of 50, 100 and 200 ms.
TEST(Backoff, WorstCaseIsEveryAttemptTimingOutPlusEveryCeiling) {
  const Backoff backoff = fullJitter();
  EXPECT_EQ(backoff.worstCase(std::chrono::milliseconds(3000), 4),
            std::chrono::milliseconds(12350));
  EXPECT_EQ(backoff.worstCase(std::chrono::milliseconds(3000), 1), std::chrono::milliseconds(3000));
}

TEST(Backoff, MaxAttemptsCountsTheFirstTry) {
  const Backoff backoff = fullJitter();
  // 4 tries in all: 3 waits between them.
  EXPECT_EQ(backoff.worstCase(0ms, 4), 50ms + 100ms + 200ms);
  EXPECT_EQ(backoff.worstCase(3000ms, 0), 3000ms);  // at least one try
}

TEST(Backoff, FullJitterSpansZeroToTheCeiling) {
  std::int64_t asked = -1;
  const Backoff lowest = fullJitter([&](std::int64_t max) {
    asked = max;
    return 0;
  });
  EXPECT_EQ(lowest.delayAfter(3), 0ms);
  EXPECT_EQ(asked, 200);
  const Backoff highest = fullJitter([](std::int64_t max) { return max; });
  EXPECT_EQ(highest.delayAfter(3), 200ms);
  // A random source out of range is clamped, never trusted.
  const Backoff wild = fullJitter([](std::int64_t max) { return max * 10; });
  EXPECT_EQ(wild.delayAfter(2), 100ms);
}

TEST(Backoff, DefaultRandomStaysInBoundsAndVaries) {
  const Backoff backoff = fullJitter();
  std::set<std::int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto d = backoff.delayAfter(4);
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d.count(), 400);
    seen.insert(d.count());
  }
  EXPECT_GT(seen.size(), 100U);  // spread over the range, not a fixed wait
  EXPECT_EQ(randomUpTo(0), 0);
}

// Event redelivery: exactly the step, and the cap wins even over the base.
TEST(Backoff, NoJitterIsExactlyTheStep) {
  const Backoff backoff({100ms, 500ms, Jitter::kNone}, [](std::int64_t) -> std::int64_t {
    ADD_FAILURE() << "no jitter draws no random number";
    return 0;
  });
  EXPECT_EQ(backoff.delayAfter(1), 100ms);
  EXPECT_EQ(backoff.delayAfter(3), 400ms);
  EXPECT_EQ(backoff.delayAfter(4), 500ms);
  EXPECT_EQ(Backoff({1000ms, 500ms, Jitter::kNone}).delayAfter(1), 500ms);
}

// SQL serialization retries: 4 ms doubling to 64 ms, each ×[0.5, 1.5).
TEST(Backoff, ProportionalJitterStaysWithinHalfToOneAndAHalf) {
  const BackoffOptions options{4ms, 64ms, Jitter::kProportional};
  EXPECT_EQ(Backoff(options, [](std::int64_t) { return 0; }).delayAfter(3), 8ms);
  EXPECT_EQ(Backoff(options, [](std::int64_t max) { return max; }).delayAfter(3), 23ms);
  EXPECT_EQ(Backoff(options, [](std::int64_t max) { return max * 10; }).delayAfter(3), 23ms);
  const Backoff backoff(options);
  for (int attempt = 1; attempt <= 6; ++attempt) {
    const auto step = backoff.ceilingAfter(attempt);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 500; ++i) {
      const auto d = backoff.delayAfter(attempt);
      ASSERT_GE(d * 2, step) << "attempt " << attempt;
      ASSERT_LT(d * 2, step * 3) << "attempt " << attempt;
      seen.insert(d.count());
    }
    EXPECT_GT(seen.size(), 1U) << "attempt " << attempt;
  }
  EXPECT_EQ(backoff.ceilingAfter(7), 64ms);
  // The worst case counts each wait at its longest: 4 ms -> 5 ms, 8 ms -> 11 ms.
  EXPECT_EQ(backoff.worstCase(0ms, 3), 5ms + 11ms);
}

class FakeClock {
 public:
  Breaker::Clock clock() {
    return [this] { return now_; };
  }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

using Admission = Breaker::Admission;
using State = Breaker::State;

void failTimes(Breaker& breaker, int n) {
  for (int i = 0; i < n; ++i) {
    const auto a = breaker.admit();
    ASSERT_EQ(a, Admission::kAllowed);
    breaker.onFailure(a);
  }
}

TEST(Breaker, OpensAfterTheThresholdOfConsecutiveFailures) {
  FakeClock clock;
  Breaker breaker({5, 5000ms, 5000ms}, clock.clock());
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

TEST(Breaker, ASuccessResetsTheCount) {
  FakeClock clock;
  Breaker breaker({3, 5000ms}, clock.clock());
  failTimes(breaker, 2);
  const auto a = breaker.admit();
  breaker.onSuccess(a);
  failTimes(breaker, 2);
  EXPECT_EQ(breaker.snapshot().state, State::kClosed);
}

TEST(Breaker, HalfOpensAfterTheCooldownWithOneProbe) {
  FakeClock clock;
  Breaker breaker({2, 5000ms}, clock.clock());
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

TEST(Breaker, AFailedProbeReopensForAnotherCooldown) {
  FakeClock clock;
  Breaker breaker({2, 5000ms}, clock.clock());
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

TEST(Breaker, LateFailuresOfCallsAdmittedBeforeDoNotExtendTheCooldown) {
  FakeClock clock;
  Breaker breaker({2, 5000ms}, clock.clock());
  const auto early = breaker.admit();
  failTimes(breaker, 2);
  clock.advance(3000ms);
  EXPECT_FALSE(breaker.onFailure(early));
  clock.advance(2000ms);
  EXPECT_EQ(breaker.admit(), Admission::kProbe);
}

// Only a probe speaks for the backend now: a call admitted before the breaker
// opened that succeeds late neither closes it nor lets the others through.
TEST(Breaker, ALateSuccessDoesNotCloseAnOpenBreaker) {
  FakeClock clock;
  Breaker breaker({2, 5000ms}, clock.clock());
  const auto early = breaker.admit();
  failTimes(breaker, 2);
  breaker.onSuccess(early);
  EXPECT_EQ(breaker.snapshot().state, State::kOpen);
  EXPECT_FALSE(breaker.healthy());
  EXPECT_EQ(breaker.admit(), Admission::kRejected);
}

TEST(Breaker, StateNames) {
  EXPECT_EQ(Breaker::stateName(State::kClosed), "closed");
  EXPECT_EQ(Breaker::stateName(State::kOpen), "open");
  EXPECT_EQ(Breaker::stateName(State::kHalfOpen), "half_open");
}

// Redis: {1, initial, max}: the first failure opens for `initial`, each failed
// probe doubles the cool-down up to the max, and a success starts over.
TEST(Breaker, DoublesTheCooldownAfterEachFailedProbeUpToTheMax) {
  FakeClock clock;
  Breaker breaker({1, 1000ms, 5000ms}, clock.clock());
  failTimes(breaker, 1);
  EXPECT_FALSE(breaker.healthy());
  for (const auto cooldown : {1000ms, 2000ms, 4000ms, 5000ms, 5000ms}) {
    clock.advance(cooldown - 1ms);
    EXPECT_EQ(breaker.admit(), Admission::kRejected) << cooldown.count();
    clock.advance(1ms);
    const auto probe = breaker.admit();
    ASSERT_EQ(probe, Admission::kProbe) << cooldown.count();
    EXPECT_TRUE(breaker.onFailure(probe));
  }
  clock.advance(5000ms);
  breaker.onSuccess(breaker.admit());
  EXPECT_TRUE(breaker.healthy());
  // Closed again: the next opening starts from the initial cool-down.
  failTimes(breaker, 1);
  clock.advance(1000ms);
  EXPECT_EQ(breaker.admit(), Admission::kProbe);
}

// A probe that could not even try the backend (no pooled connection free)
// proves nothing: the next caller probes at once, without another cool-down.
TEST(Breaker, BusyProbeIsHandedOn) {
  FakeClock clock;
  Breaker breaker({1, 1000ms, 30000ms}, clock.clock());
  failTimes(breaker, 1);
  clock.advance(1000ms);
  const auto probe = breaker.admit();
  ASSERT_EQ(probe, Admission::kProbe);
  EXPECT_EQ(breaker.admit(), Admission::kRejected);
  breaker.onBusy(probe);
  EXPECT_EQ(breaker.snapshot().times_opened, 1);
  const auto next = breaker.admit();
  EXPECT_EQ(next, Admission::kProbe);
  breaker.onSuccess(next);
  EXPECT_TRUE(breaker.healthy());
  // Busy on a call that was not a probe changes nothing.
  const auto allowed = breaker.admit();
  breaker.onBusy(allowed);
  EXPECT_EQ(breaker.admit(), Admission::kAllowed);
}

TEST(Breaker, MarkUpClosesAtOnce) {
  FakeClock clock;
  Breaker breaker({1, 1000ms, 30000ms}, clock.clock());
  failTimes(breaker, 1);
  EXPECT_EQ(breaker.admit(), Admission::kRejected);
  breaker.markUp();
  EXPECT_TRUE(breaker.healthy());
  EXPECT_EQ(breaker.admit(), Admission::kAllowed);
  // Only the opening counted one failure from a closed breaker.
  EXPECT_TRUE(breaker.onFailure(breaker.admit()));
  EXPECT_FALSE(breaker.onFailure(Admission::kAllowed));
}

}  // namespace
}  // namespace emporium::resilience
