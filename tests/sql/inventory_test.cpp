// InventoryService on both backends: concurrent holds never oversell, every
// saga step is all-or-nothing and idempotent, expiry releases only held
// stock, the stock listener hears about changes after they commit, and every
// transaction that changes a level publishes one stock.changed event.

#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/sql/migrations.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/inventory/storage/schema.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

using inventory::InventoryService;
using inventory::ReservationLine;
using inventory::SetOnHandStatus;
using inventory::StockLevel;
using namespace std::chrono_literals;

constexpr std::int64_t kLowStockThreshold = 3;

class InventoryTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Its own database: the shared test schema has a table named stock too.
    inventory_db_ = open(service_ + "_inventory");
    applyMigrations(*inventory_db_, inventory::migrations());
    outbox_ = std::make_unique<events::Outbox>("inventory", *inventory_db_, doorbell_);
    service_under_test_ = std::make_unique<InventoryService>(
        *inventory_db_, *outbox_, kLowStockThreshold, [this] { return now_; });
  }

  InventoryService& inv() { return *service_under_test_; }

  void stock(const std::string& sku, std::int64_t on_hand) {
    ASSERT_EQ(inv().setOnHand(sku, on_hand).status, SetOnHandStatus::kDone);
  }

  StockLevel levelOf(const std::string& sku) {
    const auto level = inv().level(sku);
    EXPECT_TRUE(level.has_value()) << sku;
    return level.value_or(StockLevel{});
  }

  // Runs body(t) on `threads` threads released together, and joins them.
  static void runConcurrently(int threads, const std::function<void(int)>& body) {
    std::promise<void> start;
    const std::shared_future<void> started = start.get_future().share();
    std::vector<std::thread> running;
    running.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      running.emplace_back([&body, started, t] {
        started.wait();
        body(t);
      });
    }
    start.set_value();
    for (auto& thread : running) thread.join();
  }

  // A stock.changed level as the event carries it.
  struct Published {
    std::string sku;
    std::int64_t on_hand = 0;
    std::int64_t reserved = 0;
    std::int64_t available = 0;
    std::int64_t version = 0;
  };

  // The stock.changed events written since the last call, in outbox order,
  // each as its levels; marks every pending event published.
  std::vector<std::vector<Published>> takeStockChanged() {
    std::vector<std::vector<Published>> taken;
    while (true) {
      const auto due = outbox_->due(500);
      if (due.empty()) break;
      std::vector<std::string> ids;
      for (const auto& event : due) {
        ids.push_back(event.id);
        if (event.type != "stock.changed") continue;
        EXPECT_EQ(event.source, "inventory");
        EXPECT_EQ(event.version, 1);
        rapidjson::Document doc;
        doc.Parse(event.payload.c_str());
        EXPECT_TRUE(doc.IsObject() && doc.HasMember("levels") && doc["levels"].IsArray())
            << event.payload;
        if (!doc.IsObject() || !doc.HasMember("levels") || !doc["levels"].IsArray()) continue;
        std::vector<Published> levels;
        for (const auto& level : doc["levels"].GetArray()) {
          levels.push_back(Published{level["sku"].GetString(), level["on_hand"].GetInt64(),
                                     level["reserved"].GetInt64(), level["available"].GetInt64(),
                                     level["version"].GetInt64()});
        }
        taken.push_back(std::move(levels));
      }
      outbox_->markPublished(ids);
    }
    return taken;
  }

  // Asserts the one event `taken` holds exactly `expected` (sku order).
  static void expectOneEvent(const std::vector<std::vector<Published>>& taken,
                             const std::vector<Published>& expected) {
    ASSERT_EQ(taken.size(), 1U);
    ASSERT_EQ(taken[0].size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& got = taken[0][i];
      const auto& want = expected[i];
      EXPECT_EQ(got.sku, want.sku);
      EXPECT_EQ(got.on_hand, want.on_hand) << want.sku;
      EXPECT_EQ(got.reserved, want.reserved) << want.sku;
      EXPECT_EQ(got.available, want.on_hand - want.reserved) << want.sku;
      EXPECT_EQ(got.version, want.version) << want.sku;
    }
  }

  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'795'651'200));
  std::unique_ptr<Database> inventory_db_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<InventoryService> service_under_test_;
};

TEST_P(InventoryTest, ConcurrentReservationsNeverOversell) {
  stock("SKU-HOT", 10);
  constexpr int kThreads = 32;
  constexpr int kOrdersPerThread = 6;  // 192 orders race for 10 units
  std::atomic<int> reserved{0};
  std::atomic<int> refused{0};
  runConcurrently(kThreads, [&](int t) {
    for (int i = 0; i < kOrdersPerThread; ++i) {
      const std::vector<ReservationLine> lines{{"SKU-HOT", 1}};
      try {
        const auto result =
            inv().reserve("order-" + std::to_string(t) + "-" + std::to_string(i), lines, 900s);
        if (result.reserved) {
          ++reserved;
        } else {
          ++refused;
          EXPECT_EQ(result.short_skus, std::vector<std::string>{"SKU-HOT"});
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    }
  });
  EXPECT_EQ(reserved.load(), 10);
  EXPECT_EQ(refused.load(), kThreads * kOrdersPerThread - 10);
  const auto level = levelOf("SKU-HOT");
  EXPECT_EQ(level.on_hand, 10);
  EXPECT_EQ(level.reserved, 10);
  EXPECT_EQ(level.available(), 0);
  // What the catalog mirrors never went below zero either: one event per
  // successful reservation (and one for the stock), versions 1..11.
  const auto published = takeStockChanged();
  ASSERT_EQ(published.size(), 11U);
  std::set<std::int64_t> versions;
  for (const auto& event : published) {
    ASSERT_EQ(event.size(), 1U);
    EXPECT_GE(event[0].available, 0);
    versions.insert(event[0].version);
  }
  EXPECT_EQ(versions.size(), 11U);
  EXPECT_EQ(*versions.rbegin(), 11);
}

TEST_P(InventoryTest, MultiLineReservationIsAllOrNothing) {
  stock("A", 5);
  stock("B", 1);
  stock("C", 3);
  const std::vector<ReservationLine> lines{
      {"C", 1}, {"A", 2}, {"B", 1}, {"B", 1}, {"GHOST", 1}};  // B twice: 2 > 1
  const auto result = inv().reserve("order-1", lines, 900s);
  EXPECT_FALSE(result.reserved);
  EXPECT_EQ(result.short_skus, (std::vector<std::string>{"B", "GHOST"}));
  for (const char* sku : {"A", "B", "C"}) EXPECT_EQ(levelOf(sku).reserved, 0) << sku;

  // The order may try again with what there is.
  const std::vector<ReservationLine> fewer{{"A", 2}, {"B", 1}};
  EXPECT_TRUE(inv().reserve("order-1", fewer, 900s).reserved);
  EXPECT_EQ(levelOf("A").reserved, 2);
  EXPECT_EQ(levelOf("B").reserved, 1);
  EXPECT_EQ(levelOf("C").reserved, 0);
}

TEST_P(InventoryTest, EveryStepIsIdempotent) {
  stock("A", 5);
  const std::vector<ReservationLine> lines{{"A", 2}};
  EXPECT_FALSE(inv().confirm("order-1"));  // nothing held yet
  EXPECT_TRUE(inv().reserve("order-1", lines, 900s).reserved);
  EXPECT_TRUE(inv().reserve("order-1", lines, 900s).reserved);
  EXPECT_EQ(levelOf("A").reserved, 2);

  EXPECT_TRUE(inv().confirm("order-1"));
  EXPECT_TRUE(inv().confirm("order-1"));
  EXPECT_EQ(levelOf("A").reserved, 2);

  inv().fulfil("order-1");
  inv().fulfil("order-1");
  EXPECT_EQ(levelOf("A").on_hand, 3);
  EXPECT_EQ(levelOf("A").reserved, 0);
  // Shipped stock cannot be released back.
  inv().release("order-1");
  EXPECT_EQ(levelOf("A").on_hand, 3);
  EXPECT_EQ(levelOf("A").reserved, 0);
  EXPECT_TRUE(inv().reserve("order-1", lines, 900s).reserved);  // already used: no new hold
  EXPECT_EQ(levelOf("A").reserved, 0);

  EXPECT_TRUE(inv().reserve("order-2", lines, 900s).reserved);
  inv().release("order-2");
  inv().release("order-2");
  EXPECT_EQ(levelOf("A").reserved, 0);
  EXPECT_FALSE(inv().confirm("order-2"));
  inv().fulfil("order-2");
  EXPECT_EQ(levelOf("A").on_hand, 3);
  // A released order may reserve anew (the recovery sweeper finishing it).
  EXPECT_TRUE(inv().reserve("order-2", lines, 900s).reserved);
  EXPECT_EQ(levelOf("A").reserved, 2);
  inv().release("never-reserved");
}

TEST_P(InventoryTest, ConcurrentReleasesApplyOnce) {
  stock("A", 10);
  for (int round = 0; round < 5; ++round) {
    const std::string order = "order-" + std::to_string(round);
    const std::vector<ReservationLine> lines{{"A", 4}};
    ASSERT_TRUE(inv().reserve(order, lines, 900s).reserved);
    ASSERT_EQ(levelOf("A").reserved, 4);
    std::promise<void> start;
    const std::shared_future<void> started = start.get_future().share();
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        started.wait();
        try {
          inv().release(order);
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
        }
      });
    }
    start.set_value();
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(levelOf("A").reserved, 0) << "round " << round;
  }
}

TEST_P(InventoryTest, SweepReleasesExpiredHoldsOnly) {
  stock("A", 10);
  const std::vector<ReservationLine> two{{"A", 2}};
  ASSERT_TRUE(inv().reserve("short-hold", two, 60s).reserved);
  ASSERT_TRUE(inv().reserve("paid", two, 60s).reserved);
  ASSERT_TRUE(inv().confirm("paid"));
  ASSERT_TRUE(inv().reserve("long-hold", two, 3600s).reserved);
  EXPECT_EQ(levelOf("A").reserved, 6);

  EXPECT_EQ(inv().sweepExpired(now_ + 59s), 0);
  EXPECT_EQ(inv().sweepExpired(now_ + 61s), 1);
  EXPECT_EQ(levelOf("A").reserved, 4);
  EXPECT_EQ(inv().sweepExpired(now_ + 61s), 0);  // already released
  EXPECT_FALSE(inv().confirm("short-hold"));     // too late: the hold expired
  EXPECT_TRUE(inv().confirm("paid"));

  EXPECT_EQ(inv().sweepExpired(now_ + 7200s), 1);  // the long hold; "paid" never expires
  EXPECT_EQ(levelOf("A").reserved, 2);
}

TEST_P(InventoryTest, ExpirySweeperRunsInTheBackground) {
  stock("A", 1);
  const std::vector<ReservationLine> one{{"A", 1}};
  ASSERT_TRUE(inv().reserve("order-1", one, 1s).reserved);
  now_ += 2s;
  const log::Logger logger(log::Level::kError);
  {
    inventory::ExpirySweeper sweeper(inv(), 10ms, logger);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (levelOf("A").reserved != 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
  }  // joins the thread
  EXPECT_EQ(levelOf("A").reserved, 0);
}

TEST_P(InventoryTest, SetOnHandRefusesBelowReserved) {
  stock("A", 5);
  const std::vector<ReservationLine> three{{"A", 3}};
  ASSERT_TRUE(inv().reserve("order-1", three, 900s).reserved);
  const auto refused = inv().setOnHand("A", 2);
  EXPECT_EQ(refused.status, SetOnHandStatus::kBelowReserved);
  EXPECT_EQ(refused.level.reserved, 3);
  EXPECT_EQ(levelOf("A").on_hand, 5);
  EXPECT_EQ(inv().setOnHand("A", -1).status, SetOnHandStatus::kNegative);
  const auto lowered = inv().setOnHand("A", 3);
  EXPECT_EQ(lowered.status, SetOnHandStatus::kDone);
  EXPECT_EQ(lowered.level.available(), 0);
  EXPECT_EQ(inv().setOnHand("NEW", 4).level.on_hand, 4);  // created
  EXPECT_EQ(inv().count(), 2);
}

TEST_P(InventoryTest, ImportMissingSkipsExistingRows) {
  stock("KEEP", 1);
  std::vector<StockLevel> levels;
  levels.reserve(1002);
  for (int i = 0; i < 1000; ++i) {
    levels.push_back(StockLevel{"IMP-" + std::to_string(i), i % 7, 0});
  }
  levels.push_back(StockLevel{"KEEP", 99, 0});
  levels.push_back(StockLevel{"IMP-5", 42, 0});  // a duplicate: the first one wins
  EXPECT_EQ(inv().importMissing(levels), 1000);
  EXPECT_EQ(inv().count(), 1001);
  EXPECT_EQ(levelOf("KEEP").on_hand, 1);
  EXPECT_EQ(levelOf("IMP-5").on_hand, 5);
  EXPECT_EQ(levelOf("IMP-999").on_hand, 999 % 7);
  EXPECT_EQ(inv().importMissing(levels), 0);
  const std::vector<StockLevel> negative{{"BAD", -1, 0}};
  EXPECT_THROW(inv().importMissing(negative), std::invalid_argument);
}

TEST_P(InventoryTest, AHoldCrossingTheLowStockThresholdPublishesOneStockLowEvent) {
  ASSERT_EQ(inv().setOnHand("L", 5).status, SetOnHandStatus::kDone);
  const std::vector<ReservationLine> one{{"L", 1}};
  const std::vector<ReservationLine> two{{"L", 2}};
  ASSERT_TRUE(inv().reserve("order-1", one, 60s).reserved);   // 4 left: above the threshold (3)
  ASSERT_TRUE(inv().reserve("order-2", two, 60s).reserved);   // 2 left: crosses it
  ASSERT_TRUE(inv().reserve("order-3", one, 60s).reserved);   // 1 left: already below
  ASSERT_FALSE(inv().reserve("order-4", two, 60s).reserved);  // refused: no event either
  std::vector<events::Event> low;
  for (auto& event : outbox_->due(100)) {
    if (event.type == "stock.low") low.push_back(std::move(event));
  }
  ASSERT_EQ(low.size(), 1U);
  EXPECT_EQ(low[0].source, "inventory");
  EXPECT_NE(low[0].payload.find(R"("sku":"L")"), std::string::npos) << low[0].payload;
  EXPECT_NE(low[0].payload.find(R"("available":2)"), std::string::npos) << low[0].payload;
  EXPECT_NE(low[0].payload.find(R"("threshold":3)"), std::string::npos) << low[0].payload;
}

TEST_P(InventoryTest, EveryLevelChangePublishesOneStockChangedEvent) {
  stock("A", 5);
  expectOneEvent(takeStockChanged(), {{"A", 5, 0, 5, 1}});  // created at version 1
  stock("B", 5);
  expectOneEvent(takeStockChanged(), {{"B", 5, 0, 5, 1}});

  // One event per transaction, whatever the number of SKUs it changed.
  const std::vector<ReservationLine> two_skus{{"B", 1}, {"A", 2}};
  ASSERT_TRUE(inv().reserve("order-1", two_skus, 900s).reserved);
  expectOneEvent(takeStockChanged(), {{"A", 5, 2, 3, 2}, {"B", 5, 1, 4, 2}});
  inv().fulfil("order-1");
  expectOneEvent(takeStockChanged(), {{"A", 3, 0, 3, 3}, {"B", 4, 0, 4, 3}});

  const std::vector<ReservationLine> one{{"A", 1}};
  ASSERT_TRUE(inv().reserve("order-2", one, 900s).reserved);
  expectOneEvent(takeStockChanged(), {{"A", 3, 1, 2, 4}});
  inv().release("order-2");
  expectOneEvent(takeStockChanged(), {{"A", 3, 0, 3, 5}});

  ASSERT_TRUE(inv().reserve("order-3", one, 60s).reserved);
  expectOneEvent(takeStockChanged(), {{"A", 3, 1, 2, 6}});
  EXPECT_EQ(inv().sweepExpired(now_ + 61s), 1);
  expectOneEvent(takeStockChanged(), {{"A", 3, 0, 3, 7}});

  const std::vector<ReservationLine> returned{{"B", 2}, {"GHOST", 1}, {"A", 1}};
  inv().returnToStock("refund-1", returned);
  expectOneEvent(takeStockChanged(), {{"A", 4, 0, 4, 8}, {"B", 6, 0, 6, 4}});

  const std::vector<StockLevel> imported{{"A", 9, 0}, {"D", 0, 0}, {"C", 4, 0}};
  EXPECT_EQ(inv().importMissing(imported), 2);
  expectOneEvent(takeStockChanged(), {{"C", 4, 0, 4, 1}, {"D", 0, 0, 0, 1}});

  EXPECT_EQ(inv().setOnHand("A", 7).status, SetOnHandStatus::kDone);
  expectOneEvent(takeStockChanged(), {{"A", 7, 0, 7, 9}});

  // What changes no level publishes nothing.
  inv().release("order-2");                                           // already released
  inv().fulfil("order-1");                                            // already fulfilled
  inv().returnToStock("refund-1", returned);                          // key used
  EXPECT_EQ(inv().importMissing(imported), 0);                        // all present
  EXPECT_EQ(inv().setOnHand("A", 7).status, SetOnHandStatus::kDone);  // the same value
  EXPECT_EQ(inv().setOnHand("A", -1).status, SetOnHandStatus::kNegative);
  EXPECT_EQ(inv().sweepExpired(now_ + 3600s), 0);
  const std::vector<ReservationLine> ghost{{"GHOST", 1}};
  inv().returnToStock("refund-2", ghost);  // unknown SKU
  EXPECT_TRUE(takeStockChanged().empty());
  EXPECT_EQ(levelOf("A").on_hand, 7);
  EXPECT_EQ(inv().levels(std::vector<std::string>{"A", "NOPE", "B"}).size(), 2U);
}

TEST_P(InventoryTest, VersionsIncreasePerSku) {
  stock("HOT", 4);
  stock("COLD", 2);
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  runConcurrently(kThreads, [&](int t) {
    for (int i = 0; i < kRounds; ++i) {
      const std::string order = "order-" + std::to_string(t) + "-" + std::to_string(i);
      const std::vector<ReservationLine> lines{{"HOT", 1}};
      try {
        if (inv().reserve(order, lines, 900s).reserved) inv().release(order);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    }
  });
  const std::vector<ReservationLine> cold{{"COLD", 1}};
  ASSERT_TRUE(inv().reserve("order-cold", cold, 900s).reserved);

  // Every change has its own version, 1, 2, ... without gap or repeat, and
  // the highest carries the level the SKU has now: a consumer that applies
  // only newer versions ends where inventory is, in any delivery order.
  std::map<std::string, std::vector<Published>> by_sku;
  for (const auto& levels : takeStockChanged()) {
    for (const auto& level : levels) by_sku[level.sku].push_back(level);
  }
  for (const auto& [sku, published] : by_sku) {
    std::vector<std::int64_t> versions;
    for (const auto& level : published) versions.push_back(level.version);
    std::sort(versions.begin(), versions.end());
    for (std::size_t i = 0; i < versions.size(); ++i) {
      ASSERT_EQ(versions[i], static_cast<std::int64_t>(i) + 1) << sku;
    }
    const auto newest = std::max_element(
        published.begin(), published.end(),
        [](const Published& a, const Published& b) { return a.version < b.version; });
    const auto now = levelOf(sku);
    EXPECT_EQ(newest->on_hand, now.on_hand) << sku;
    EXPECT_EQ(newest->reserved, now.reserved) << sku;
  }
  ASSERT_EQ(by_sku["COLD"].size(), 2U);  // created, then held: HOT's traffic is not its
  EXPECT_EQ(by_sku["COLD"][1].version, 2);
  EXPECT_GE(by_sku["HOT"].size(), 3U);  // created, and at least one hold and release
  EXPECT_EQ(by_sku["HOT"].size() % 2, 1U) << "each hold is followed by its release";
  EXPECT_EQ(levelOf("HOT").reserved, 0);
}

TEST_P(InventoryTest, ConfirmPublishesNothing) {
  stock("A", 5);
  const std::vector<ReservationLine> lines{{"A", 2}};
  ASSERT_TRUE(inv().reserve("order-1", lines, 900s).reserved);
  ASSERT_EQ(takeStockChanged().size(), 2U);  // created, held
  EXPECT_TRUE(inv().confirm("order-1"));
  EXPECT_TRUE(inv().confirm("order-1"));
  EXPECT_TRUE(takeStockChanged().empty()) << "a confirmed hold changes no level";
  inv().fulfil("order-1");
  expectOneEvent(takeStockChanged(), {{"A", 3, 0, 3, 3}});
}

TEST_P(InventoryTest, ARolledBackReservationPublishesNothing) {
  stock("A", 5);
  stock("B", 1);
  ASSERT_EQ(takeStockChanged().size(), 2U);
  // A is held first, then B is short: the transaction rolls back A's hold
  // and the event written with it.
  const std::vector<ReservationLine> too_many{{"A", 2}, {"B", 2}};
  EXPECT_FALSE(inv().reserve("order-1", too_many, 900s).reserved);
  EXPECT_TRUE(takeStockChanged().empty());
  EXPECT_EQ(outbox_->pendingCount(), 0);

  const std::vector<ReservationLine> fits{{"A", 2}, {"B", 1}};
  ASSERT_TRUE(inv().reserve("order-1", fits, 900s).reserved);
  // Versions as if the refused attempt never happened.
  expectOneEvent(takeStockChanged(), {{"A", 5, 2, 3, 2}, {"B", 1, 1, 0, 2}});
  // Repeating the reservation holds nothing more, and publishes nothing.
  ASSERT_TRUE(inv().reserve("order-1", fits, 900s).reserved);
  EXPECT_TRUE(takeStockChanged().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, InventoryTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
