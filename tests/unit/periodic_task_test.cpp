#include "core/util/periodic_task.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace emporium::util {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicTask, RunsRepeatedlyAndKeepsGoingAfterAnError) {
  std::mutex mutex;
  std::condition_variable ran;
  int runs = 0;
  int errors = 0;
  {
    PeriodicTask task(
        1ms,
        [&] {
          const std::lock_guard lock(mutex);
          ++runs;
          ran.notify_all();
          if (runs == 1) throw std::runtime_error("first run fails");
        },
        [&](const std::exception& e) {
          const std::lock_guard lock(mutex);
          EXPECT_STREQ(e.what(), "first run fails");
          ++errors;
        });
    std::unique_lock lock(mutex);
    EXPECT_TRUE(ran.wait_for(lock, 10s, [&] { return runs >= 3; }));
  }
  EXPECT_EQ(errors, 1);
}

TEST(PeriodicTask, StopWakesTheThreadWithoutWaitingForTheInterval) {
  std::atomic<int> runs{0};
  const auto started = std::chrono::steady_clock::now();
  {
    PeriodicTask task(1h, [&] { ++runs; }, {});
    task.stop();
    task.stop();  // idempotent; the destructor stops once more
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(runs.load(), 0);
}

TEST(PeriodicTask, RefusesANonPositiveInterval) {
  EXPECT_THROW(PeriodicTask(0ms, [] {}, {}), std::invalid_argument);
}

}  // namespace
}  // namespace emporium::util
