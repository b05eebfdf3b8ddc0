#include "core/ratelimit/local_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace emporium::ratelimit {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// Time that moves only when the test says so; readable from any thread.
class FakeClock {
 public:
  LocalRateLimiter::Clock function() {
    return [this] { return TimePoint(std::chrono::nanoseconds(now_ns_.load())); };
  }
  void advance(std::chrono::nanoseconds by) { now_ns_ += by.count(); }

 private:
  std::atomic<std::int64_t> now_ns_{1'000'000'000};
};

TEST(LocalRateLimiter, BurstUpToCapacityThenRefusedWithRetryAfter) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function());
  const Limit limit{5, 2};
  for (int i = 0; i < 5; ++i) {
    const Decision d = limiter.take("ip:1", limit);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.retry_after, milliseconds(0));
    EXPECT_DOUBLE_EQ(d.remaining, 4 - i);
  }
  Decision refused = limiter.take("ip:1", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(500));  // one token at 2/s
  EXPECT_DOUBLE_EQ(refused.remaining, 0);

  clock.advance(milliseconds(250));
  refused = limiter.take("ip:1", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(250));
  EXPECT_DOUBLE_EQ(refused.remaining, 0.5);

  clock.advance(milliseconds(250));
  EXPECT_TRUE(limiter.take("ip:1", limit).allowed);
  EXPECT_FALSE(limiter.take("ip:1", limit).allowed);
}

TEST(LocalRateLimiter, RefillsOverTimeUpToCapacity) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function());
  const Limit limit{10, 1};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.take("k", limit).allowed);
  ASSERT_FALSE(limiter.take("k", limit).allowed);

  clock.advance(std::chrono::seconds(3));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("k", limit).allowed) << i;
  EXPECT_FALSE(limiter.take("k", limit).allowed);

  // A long idle spell refills to capacity, never beyond.
  clock.advance(std::chrono::hours(1));
  int allowed = 0;
  while (limiter.take("k", limit).allowed) ++allowed;
  EXPECT_EQ(allowed, 10);
}

TEST(LocalRateLimiter, KeysAreIndependent) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function());
  const Limit limit{2, 1};
  EXPECT_TRUE(limiter.take("a", limit).allowed);
  EXPECT_TRUE(limiter.take("a", limit).allowed);
  EXPECT_FALSE(limiter.take("a", limit).allowed);
  EXPECT_TRUE(limiter.take("b", limit).allowed);
  EXPECT_TRUE(limiter.take("b", limit).allowed);
  EXPECT_FALSE(limiter.take("b", limit).allowed);
  EXPECT_TRUE(limiter.take("c", limit).allowed);
}

TEST(LocalRateLimiter, RefusalsThatWaitingCannotCure) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function());
  EXPECT_TRUE(limiter.take("zero-refill", {1, 0}).allowed);
  const Decision never = limiter.take("zero-refill", {1, 0});
  EXPECT_FALSE(never.allowed);
  EXPECT_EQ(never.retry_after, kRetryNever);

  const Decision too_small = limiter.take("fraction", {0.5, 10});
  EXPECT_FALSE(too_small.allowed);
  EXPECT_EQ(too_small.retry_after, kRetryNever);
}

TEST(LocalRateLimiter, LoweredCapacityAppliesToAnExistingBucket) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function());
  EXPECT_DOUBLE_EQ(limiter.take("k", {10, 1}).remaining, 9);
  EXPECT_DOUBLE_EQ(limiter.take("k", {3, 1}).remaining, 2);
}

TEST(LocalRateLimiter, ConcurrentTakesNeverOverGrant) {
  LocalRateLimiter limiter;
  constexpr int kThreads = 8;
  constexpr int kTakesEach = 1000;
  std::atomic<int> allowed{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kTakesEach; ++i) {
        if (limiter.take("shared", {100, 0}).allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

TEST(LocalRateLimiter, ConcurrentTakesOverManyKeysAcrossShards) {
  LocalRateLimiter limiter;
  constexpr int kThreads = 8;
  constexpr int kKeys = 40;
  std::vector<std::atomic<int>> allowed(kKeys);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < 2000; ++i) {
        const int key = (i + t) % kKeys;
        if (limiter.take("k" + std::to_string(key), {25, 0}).allowed) ++allowed[key];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int key = 0; key < kKeys; ++key) EXPECT_EQ(allowed[key].load(), 25) << key;
}

TEST(LocalRateLimiter, MemoryIsBoundedUnderAMillionDistinctKeys) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function(), {.shards = 16, .max_buckets_per_shard = 1000});
  // No refill: no bucket ever becomes full again, so only the cap holds memory down.
  for (int i = 0; i < 1'000'000; ++i) {
    ASSERT_TRUE(limiter.take("ip:" + std::to_string(i), {5, 0}).allowed);
  }
  EXPECT_LE(limiter.size(), 16u * 1000u);
  EXPECT_GE(limiter.size(), 15u * 1000u);  // evicts only when full, not wholesale
}

TEST(LocalRateLimiter, FullBucketsAreSweptWithoutATimer) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function());
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(limiter.take("ip:" + std::to_string(i), {1, 1000}).allowed);
    clock.advance(milliseconds(1));  // each bucket is full again 1 ms after its take
  }
  EXPECT_LE(limiter.size(), 2u * 16u);
}

TEST(LocalRateLimiter, BusyKeySurvivesEvictionByRotatingKeys) {
  FakeClock clock;
  LocalRateLimiter limiter(clock.function(), {.shards = 4, .max_buckets_per_shard = 100});
  const Limit limit{3, 0};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.take("abuser", limit).allowed);
  for (int i = 0; i < 100'000; ++i) {
    limiter.take("rotating:" + std::to_string(i), limit);
    if (i % 50 == 0) {
      ASSERT_FALSE(limiter.take("abuser", limit).allowed) << i;
    }
  }
  EXPECT_LE(limiter.size(), 4u * 100u);
}

}  // namespace
}  // namespace emporium::ratelimit
