// The outbox, consumer idempotency, the in-process dispatcher and the SQL
// activity log, on both backends.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/events/local_dispatcher.hpp"
#include "core/events/outbox.hpp"
#include "core/events/sql_activity_log.hpp"
#include "core/log/logger.hpp"
#include "core/sql/migrations.hpp"
#include "core/util/ids.hpp"
#include "services/inventory/storage/schema.hpp"
#include "sql_test_support.hpp"
#include "support/null_sink.hpp"

namespace emporium::sql::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using ::emporium::test::NullSink;

// What a consumer saw, thread-safe.
class Recorder {
 public:
  void add(const events::Event& event) {
    const std::lock_guard lock(mutex_);
    ids_.push_back(event.id);
    times_.push_back(Clock::now());
  }
  std::vector<std::string> ids() const {
    const std::lock_guard lock(mutex_);
    return ids_;
  }
  std::vector<Clock::time_point> times() const {
    const std::lock_guard lock(mutex_);
    return times_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> ids_;
  std::vector<Clock::time_point> times_;
};

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class EventsTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Any service schema carries the outbox; inventory's is the smallest.
    inventory_db_ = open(service_ + "_inventory");
    applyMigrations(*inventory_db_, inventory::migrations());
    outbox_ = std::make_unique<events::Outbox>("inventory", *inventory_db_, doorbell_);
  }

  std::vector<std::string> addEvents(int count, std::string_view type = "stock.low") {
    std::vector<std::string> ids;
    inventory_db_->write([&](Session& s) {
      for (int i = 0; i < count; ++i) {
        ids.push_back(outbox_->add(s, type, "{\"n\":" + std::to_string(i) + "}").id);
      }
    });
    outbox_->committed();
    return ids;
  }

  std::unique_ptr<events::LocalDispatcher> dispatcher(std::vector<events::Consumer> consumers,
                                                      events::RetryPolicy retry = {}) {
    events::DispatcherOptions options;
    options.poll_interval = 200ms;
    options.retry = retry;
    auto d = std::make_unique<events::LocalDispatcher>(
        std::vector<const events::Outbox*>{outbox_.get()}, std::move(consumers), doorbell_, options,
        logger_, metrics_);
    d->start();
    return d;
  }

  std::unique_ptr<Database> inventory_db_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  log::Logger logger_{log::Level::kError, std::make_unique<NullSink>()};
  events::EventMetrics metrics_;
};

TEST_P(EventsTest, AnEventCommitsWithItsTransactionOrNotAtAll) {
  const auto ids = addEvents(3);
  EXPECT_THROW(inventory_db_->write([&](Session& s) {
    outbox_->add(s, "stock.low", "{}");
    throw std::runtime_error("the change failed");
  }),
               std::runtime_error);
  const auto due = outbox_->due(10);
  ASSERT_EQ(due.size(), 3U);  // the rolled-back one is not there
  for (std::size_t i = 0; i < due.size(); ++i) {
    EXPECT_EQ(due[i].id, ids[i]);  // in commit order
    EXPECT_EQ(due[i].source, "inventory");
    EXPECT_EQ(due[i].version, 1);
    EXPECT_EQ(due[i].payload, "{\"n\":" + std::to_string(i) + "}");
  }
  outbox_->markPublished({ids[0], ids[1]});
  ASSERT_EQ(outbox_->due(10).size(), 1U);
  EXPECT_EQ(outbox_->pendingCount(), 1);
}

TEST_P(EventsTest, AConsumerClaimsAnEventOnce) {
  const bool first =
      inventory_db_->write([](Session& s) { return events::claimEvent(s, "c", "evt_1"); });
  const bool again =
      inventory_db_->write([](Session& s) { return events::claimEvent(s, "c", "evt_1"); });
  const bool other =
      inventory_db_->write([](Session& s) { return events::claimEvent(s, "d", "evt_1"); });
  EXPECT_TRUE(first);
  EXPECT_FALSE(again);
  EXPECT_TRUE(other);  // per consumer
  EXPECT_TRUE(events::wasProcessed(*inventory_db_, "c", "evt_1"));
  EXPECT_FALSE(events::wasProcessed(*inventory_db_, "c", "evt_2"));
}

TEST_P(EventsTest, TheDispatcherDeliversEachEventToItsSubscribersThenMarksItPublished) {
  Recorder low, any, other;
  auto d = dispatcher({{"low", {"stock.low"}, [&](const events::Event& e) { low.add(e); }},
                       {"any", {"#"}, [&](const events::Event& e) { any.add(e); }},
                       {"other", {"order.*"}, [&](const events::Event& e) { other.add(e); }}});
  const auto ids = addEvents(50);
  addEvents(5, "review.created");
  ASSERT_TRUE(d->drain(10s));
  EXPECT_EQ(low.ids(), ids);  // one consumer's thread handles in outbox order
  EXPECT_EQ(any.ids().size(), 55U);
  EXPECT_TRUE(other.ids().empty());
  EXPECT_EQ(outbox_->pendingCount(), 0);
}

TEST_P(EventsTest, AnEventNobodySubscribesToIsMarkedPublishedSoTheOutboxDoesNotGrow) {
  // stock.changed has no in-process consumer until the catalog mirrors it.
  Recorder orders;
  auto d = dispatcher({{"orders", {"order.*"}, [&](const events::Event& e) { orders.add(e); }}});
  addEvents(20, "stock.changed");
  ASSERT_TRUE(d->drain(10s));
  EXPECT_TRUE(orders.ids().empty());
  EXPECT_EQ(outbox_->pendingCount(), 0);
  EXPECT_TRUE(outbox_->due(10).empty());
}

TEST_P(EventsTest, AFailingConsumerIsRetriedWithBackoffThenDeadLetteredAndCanBeReplayed) {
  Recorder attempts, healthy;
  std::atomic<bool> broken{true};
  events::RetryPolicy retry;
  retry.max_attempts = 3;
  retry.base_delay = 100ms;
  auto d = dispatcher({{"flaky",
                        {"stock.low"},
                        [&](const events::Event& e) {
                          attempts.add(e);
                          if (broken) throw std::runtime_error("smtp said no");
                        }},
                       {"healthy", {"stock.low"}, [&](const events::Event& e) { healthy.add(e); }}},
                      retry);
  const auto ids = addEvents(1);
  ASSERT_TRUE(eventually([&] { return !outbox_->dead(10).empty(); }));
  const auto times = attempts.times();
  ASSERT_EQ(times.size(), 3U);
  EXPECT_GE(times[1] - times[0], 100ms);  // attempt 1 failed: wait base
  EXPECT_GE(times[2] - times[1], 200ms);  // attempt 2 failed: wait 2 x base
  EXPECT_EQ(healthy.ids().size(), 1U);    // the other consumer was not held up
  const auto dead = outbox_->dead(10);
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].event.id, ids[0]);
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_NE(dead[0].last_error.find("smtp said no"), std::string::npos);
  EXPECT_EQ(outbox_->pendingCount(), 0);  // dead is not pending

  broken = false;
  EXPECT_EQ(outbox_->revive(""), 1U);
  ASSERT_TRUE(d->drain(10s));
  EXPECT_EQ(attempts.ids().size(), 4U);
  EXPECT_TRUE(outbox_->dead(10).empty());
}

// Before, a refusal no retry can cure was retried max_attempts times with
// backoff (minutes of a worker's time) before it reached the dead letters.
TEST_P(EventsTest, APermanentFailureIsDeadLetteredAtOnceWithItsReason) {
  Recorder attempts;
  events::RetryPolicy retry;
  retry.max_attempts = 5;
  retry.base_delay = 100ms;
  auto d = dispatcher({{"mailer",
                        {"stock.low"},
                        [&](const events::Event& e) {
                          attempts.add(e);
                          throw events::PermanentFailure("550 no such mailbox a@x.test");
                        }}},
                      retry);
  const auto ids = addEvents(1);
  ASSERT_TRUE(eventually([&] { return !outbox_->dead(10).empty(); }));
  const auto dead = outbox_->dead(10);
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].event.id, ids[0]);
  EXPECT_EQ(dead[0].attempts, 1);
  EXPECT_NE(dead[0].last_error.find("550 no such mailbox a@x.test"), std::string::npos)
      << dead[0].last_error;
  EXPECT_EQ(attempts.ids().size(), 1U);
}

TEST_P(EventsTest, EventsNotYetDeliveredWhenTheProcessStopsAreDeliveredByTheNextOne) {
  // Written with nobody delivering, as if the process died right after the commit.
  const auto ids = addEvents(20);
  std::set<std::string> handled;
  std::mutex mutex;
  const auto consumer = [&](std::atomic<int>& seen) {
    return events::Consumer{"ledger", {"stock.low"}, [&](const events::Event& e) {
                              // Idempotent through processed_events, like every real consumer.
                              const bool first = inventory_db_->write([&](Session& s) {
                                return events::claimEvent(s, "ledger", e.id);
                              });
                              if (first) {
                                const std::lock_guard lock(mutex);
                                EXPECT_TRUE(handled.insert(e.id).second);
                              }
                              if (++seen == 5) std::this_thread::sleep_for(300ms);
                            }};
  };
  std::atomic<int> seen_first{0};
  {
    auto first = dispatcher({consumer(seen_first)});
    ASSERT_TRUE(eventually([&] { return seen_first >= 5; }));
    // Stopped part-way: what it had not finished stays unpublished.
  }
  std::atomic<int> seen_second{0};
  auto second = dispatcher({consumer(seen_second)});
  ASSERT_TRUE(second->drain(10s));
  EXPECT_EQ(handled.size(), ids.size());
  EXPECT_EQ(outbox_->pendingCount(), 0);
}

// What `emporium events replay` reads: the kept events from a time, published
// or not, in outbox order, a page at a time.
TEST_P(EventsTest, TheOutboxPagesThroughItsEventsSinceATime) {
  addEvents(1, "stock.old");
  std::this_thread::sleep_for(20ms);
  const std::string from = util::formatRfc3339(std::chrono::system_clock::now());
  const auto ids = addEvents(3);
  outbox_->markPublished({ids[0]});  // published rows are kept until purged
  const auto first = outbox_->since(from, 0, 2);
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].event.id, ids[0]);
  EXPECT_EQ(first[1].event.id, ids[1]);
  EXPECT_EQ(first[0].event.source, "inventory");
  EXPECT_EQ(first[1].event.payload, R"({"n":1})");
  const auto rest = outbox_->since(from, first[1].seq, 2);
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].event.id, ids[2]);
  EXPECT_TRUE(outbox_->since(from, rest[0].seq, 2).empty());
  EXPECT_EQ(outbox_->since(util::formatRfc3339({}), 0, 10).size(), 4U);
}

TEST_P(EventsTest, AForgottenEventCanBeClaimedAgainByThatConsumerOnly) {
  for (const char* consumer : {"c", "d"}) {
    inventory_db_->write([&](Session& s) { return events::claimEvent(s, consumer, "evt_1"); });
  }
  const bool forgot =
      inventory_db_->write([](Session& s) { return events::forgetEvent(s, "c", "evt_1"); });
  const bool twice =
      inventory_db_->write([](Session& s) { return events::forgetEvent(s, "c", "evt_1"); });
  EXPECT_TRUE(forgot);
  EXPECT_FALSE(twice);
  EXPECT_FALSE(events::wasProcessed(*inventory_db_, "c", "evt_1"));
  EXPECT_TRUE(events::wasProcessed(*inventory_db_, "d", "evt_1"));
  EXPECT_TRUE(inventory_db_->write([](Session& s) { return events::claimEvent(s, "c", "evt_1"); }));
}

TEST_P(EventsTest, TheActivityLogReplaysFromAPointInTime) {
  const auto db = open(service_ + "_activity");
  applyMigrations(*db, events::migrations());
  events::SqlActivityLog activity(*db, {}, logger_);
  activity.record("activity.searched", R"({"q":"old"})");
  activity.flush();
  std::this_thread::sleep_for(20ms);
  const auto from = std::chrono::system_clock::now();
  activity.record("activity.product_viewed", R"({"product":"1"})");
  activity.record("activity.searched", R"({"q":"new"})");
  activity.flush();
  std::vector<events::Event> replayed;
  EXPECT_EQ(activity.replay(from, [&](const events::Event& e) { replayed.push_back(e); }), 2U);
  ASSERT_EQ(replayed.size(), 2U);
  EXPECT_EQ(replayed[0].type, "activity.product_viewed");
  EXPECT_EQ(replayed[1].payload, R"({"q":"new"})");
  EXPECT_EQ(activity.replay(std::chrono::system_clock::time_point{}, [](const events::Event&) {}),
            3U);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
