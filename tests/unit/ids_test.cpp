// Ids sort in creation order within a process: the ULID monotonic mode.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "core/util/ids.hpp"

namespace emporium::util {
namespace {

TEST(Ids, HundredThousandInATightLoopAreStrictlyIncreasing) {
  // Far more than one per millisecond: most share their millisecond with the
  // one before, which is what used to sort at random.
  constexpr int kCount = 100'000;
  std::string previous = newId("ord");
  for (int i = 1; i < kCount; ++i) {
    std::string next = newId("ord");
    ASSERT_LT(previous, next) << "at " << i;
    previous = std::move(next);
  }
}

TEST(Ids, StrictlyIncreasingAcrossThreadsInTheOrderTheyWereMade) {
  // Each thread's own ids increase, and no two ids are equal anywhere.
  constexpr int kThreads = 4;
  constexpr int kEach = 20'000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      made[static_cast<std::size_t>(t)].reserve(kEach);
      for (int i = 0; i < kEach; ++i) made[static_cast<std::size_t>(t)].push_back(newId("x"));
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<std::string> all;
  for (const auto& ids : made) {
    for (std::size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

TEST(MonotonicUlid, TheSameMillisecondIncrementsAndKeepsTheTimestamp) {
  MonotonicUlid ulid;
  const auto a = ulid.next(1'700'000'000'000);
  const auto b = ulid.next(1'700'000'000'000);
  ASSERT_EQ(a.size(), 26U);
  EXPECT_LT(a, b);
  EXPECT_EQ(a.substr(0, 10), b.substr(0, 10));  // the 48-bit time part
}

TEST(MonotonicUlid, AClockSteppingBackNeverReordersIds) {
  MonotonicUlid ulid;
  const auto later = ulid.next(1'700'000'000'500);
  const auto earlier_clock = ulid.next(1'700'000'000'000);
  EXPECT_LT(later, earlier_clock);
  EXPECT_EQ(later.substr(0, 10), earlier_clock.substr(0, 10));
  // Once the clock passes the last millisecond, ids take the new time.
  const auto next_ms = ulid.next(1'700'000'000'501);
  EXPECT_LT(earlier_clock, next_ms);
  EXPECT_NE(next_ms.substr(0, 10), later.substr(0, 10));
}

TEST(MonotonicUlid, ANewMillisecondStartsFromFreshRandomBits) {
  MonotonicUlid ulid;
  const auto a = ulid.next(1'000);
  const auto b = ulid.next(1'001);
  const auto c = ulid.next(1'002);
  // 80 fresh random bits each: equal tails would mean no randomness.
  EXPECT_NE(a.substr(10), b.substr(10));
  EXPECT_NE(b.substr(10), c.substr(10));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

}  // namespace
}  // namespace emporium::util
