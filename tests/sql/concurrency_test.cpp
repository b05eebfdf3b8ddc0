// Many threads on one Database: writes are neither lost nor doubled, and the
// pool reports and bounds its connections.

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

using namespace std::chrono_literals;

class ConcurrencyTest : public SqlTest {};

TEST_P(ConcurrencyTest, ConcurrentIncrementsAreNotLost) {
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  db_->write([](Session& s) {
    s.execute(Query{"counter.insert", "INSERT INTO counter (id, n) VALUES (1, 0)"});
  });
  const Query increment{"counter.increment", "UPDATE counter SET n = n + 1 WHERE id = 1"};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        try {
          db_->write([&](Session& s) { s.execute(increment); });
        } catch (const Error& error) {
          ADD_FAILURE() << error.what();
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const std::int64_t total = db_->read([](Session& s) {
    return s.execute(Query{"counter.get", "SELECT n FROM counter WHERE id = 1"})[0].getInt64(0);
  });
  EXPECT_EQ(total, kThreads * kIncrements);
}

TEST_P(ConcurrencyTest, ConditionalDecrementNeverOversells) {
  constexpr int kThreads = 16;
  constexpr std::int64_t kUnits = 10;
  db_->write([&](Session& s) {
    s.execute(Query{"stock.insert", "INSERT INTO stock (sku, available) VALUES ($1, $2)"},
              {"sku-1", kUnits});
  });
  const Query reserve{"stock.reserve",
                      "UPDATE stock SET available = available - 1 "
                      "WHERE sku = $1 AND available >= 1"};
  std::atomic<int> reserved{0};
  std::promise<void> start;
  const std::shared_future<void> started = start.get_future().share();
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      started.wait();
      const std::int64_t changed =
          db_->write([&](Session& s) { return s.execute(reserve, {"sku-1"}).affectedRows(); });
      if (changed == 1) ++reserved;
    });
  }
  start.set_value();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(reserved.load(), kUnits);
  const std::int64_t left = db_->read([](Session& s) {
    return s.execute(Query{"stock.get", "SELECT available FROM stock WHERE sku = $1"}, {"sku-1"})[0]
        .getInt64(0);
  });
  EXPECT_EQ(left, 0);
}

TEST_P(ConcurrencyTest, PoolStats) {
  db_->ping();
  PoolStats idle = db_->poolStats();
  EXPECT_GE(idle.size, 1u);
  EXPECT_EQ(idle.in_use, 0u);
  EXPECT_EQ(idle.waiting, 0u);
  db_->read([&](Session&) {
    const PoolStats busy = db_->poolStats();
    EXPECT_EQ(busy.in_use, 1u);
    EXPECT_GE(busy.size, 1u);
  });
  EXPECT_EQ(db_->poolStats().in_use, 0u);
}

TEST_P(ConcurrencyTest, ExhaustedPoolTimesOutWithBusy) {
  DatabaseOptions small = options();
  small.pool_size = 1;
  small.busy_timeout = 200ms;
  const std::unique_ptr<Database> db = openDatabase(small);

  std::promise<void> entered;
  std::promise<void> leave;
  std::shared_future<void> may_leave = leave.get_future().share();
  std::thread holder([&] {
    db->read([&](Session&) {
      entered.set_value();
      may_leave.wait();
    });
  });
  entered.get_future().wait();
  const auto before = std::chrono::steady_clock::now();
  expectError(ErrorKind::kBusy, [&] { db->read([](Session&) {}); });
  EXPECT_GE(std::chrono::steady_clock::now() - before, 150ms);
  EXPECT_EQ(db->poolStats().waiting, 0u);
  leave.set_value();
  holder.join();
  db->ping();  // the lent connection came back
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrencyTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
