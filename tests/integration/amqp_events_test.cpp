// The RabbitMQ event transport against the real broker from
// EMPORIUM_TEST_AMQP_URL: relay with confirms, consumers with retry and
// dead-letter queues, the DLQ tools, redelivery after a consumer dies
// mid-event, and the activity log on a stream. Every test uses its own
// exchange and queue names and deletes them at the end.
//
// The binary has its own main(): run with --crash-child it is the consumer
// process that the redelivery test kills with SIGKILL while it handles.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/events/amqp_activity_log.hpp"
#include "core/events/amqp_connection.hpp"
#include "core/events/amqp_consumer.hpp"
#include "core/events/amqp_dead_letters.hpp"
#include "core/events/amqp_relay.hpp"
#include "core/events/event_metrics.hpp"
#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "e2e/process.hpp"

namespace emporium::events {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The outbox tables as the services' migrations create them (SQLite).
constexpr std::string_view kOutboxDdl = R"sql(
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL, version INTEGER NOT NULL, occurred_at TEXT NOT NULL, payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT, published_at TEXT, dead_at TEXT);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL AND dead_at IS NULL;
CREATE TABLE processed_events (consumer TEXT NOT NULL, event_id TEXT NOT NULL,
  processed_at TEXT NOT NULL, PRIMARY KEY (consumer, event_id));
)sql";

AmqpOptions namedOptions(const std::string& url, const std::string& suffix) {
  AmqpOptions options;
  options.url = url;
  options.exchange = "emporium.test." + suffix + ".events";
  options.queue_prefix = "emporium.test." + suffix + ".";
  options.activity_stream = "emporium.test." + suffix + ".activity";
  options.reconnect_delay = 100ms;
  options.retry = RetryPolicy{.max_attempts = 4, .base_delay = 100ms, .max_delay = 400ms};
  return options;
}

// Waits (polling) until pred() holds or `timeout` passes; returns pred().
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// What a consumer's handler saw, thread-safe.
class Seen {
 public:
  void add(const Event& event) {
    const std::lock_guard lock(mutex_);
    ids_.push_back(event.id);
    times_[event.id].push_back(Clock::now());
  }
  std::size_t count() const {
    const std::lock_guard lock(mutex_);
    return ids_.size();
  }
  std::set<std::string> distinct() const {
    const std::lock_guard lock(mutex_);
    return {ids_.begin(), ids_.end()};
  }
  std::vector<Clock::time_point> times(const std::string& id) const {
    const std::lock_guard lock(mutex_);
    const auto it = times_.find(id);
    return it == times_.end() ? std::vector<Clock::time_point>{} : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> ids_;
  std::map<std::string, std::vector<Clock::time_point>> times_;
};

class AmqpEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto url = test::env("EMPORIUM_TEST_AMQP_URL");
    if (!url) {
      if (test::required("EMPORIUM_REQUIRE_SERVERS")) {
        GTEST_FAIL() << "EMPORIUM_REQUIRE_SERVERS=1 but EMPORIUM_TEST_AMQP_URL is unset";
      }
      GTEST_SKIP() << "set EMPORIUM_TEST_AMQP_URL (source /tmp/emporium-test-servers/env "
                      "after scripts/test-servers.sh start) to run the RabbitMQ tests";
    }
    url_ = *url;
    options_ = namedOptions(url_, test::randomSuffix());
    dir_ = std::filesystem::temp_directory_path() / ("emporium-amqp-" + test::randomSuffix());
    std::filesystem::create_directories(dir_);
    db_ = sql::openDatabase(sql::DatabaseOptions{.service = "events", .data_dir = dir_.string()});
    db_->write([](sql::Session& s) { s.executeScript(kOutboxDdl); });
    outbox_ = std::make_unique<Outbox>("orders", *db_, doorbell_);
  }

  void TearDown() override {
    if (url_.empty()) return;
    try {
      AmqpConnection connection(url_);
      for (const std::string& name : consumers_) {
        deleteConsumerTopology(connection, options_, name);
      }
      connection.deleteExchange(options_.exchange);
      if (stream_declared_) connection.deleteQueue(options_.activity_stream);
    } catch (const AmqpError& e) {
      ADD_FAILURE() << "cleanup: " << e.what();
    }
    outbox_.reset();
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Declares a consumer's queues now (so nothing the relay publishes before
  // the consumer thread is up is lost) and deletes them in TearDown.
  void declare(const std::string& name, const std::vector<std::string>& patterns) {
    consumers_.push_back(name);
    AmqpConnection connection(url_);
    declareConsumerTopology(connection, options_, name, patterns);
  }

  std::vector<std::string> addEvents(int n, std::string_view type = "order.confirmed") {
    std::vector<std::string> ids;
    db_->write([&](sql::Session& s) {
      for (int i = 0; i < n; ++i) {
        ids.push_back(outbox_->add(s, type, R"({"n":)" + std::to_string(i) + "}").id);
      }
    });
    outbox_->committed();
    return ids;
  }

  std::string url_;
  AmqpOptions options_;
  std::filesystem::path dir_;
  std::unique_ptr<sql::Database> db_;
  Doorbell doorbell_;
  std::unique_ptr<Outbox> outbox_;
  log::Logger logger_{log::Level::kWarn};
  EventMetrics metrics_;
  std::vector<std::string> consumers_;
  bool stream_declared_ = false;
};

TEST_F(AmqpEventsTest, RelayPublishesEveryEventAndTheConsumerGetsEachOne) {
  declare("audit", {"order.*"});
  declare("other", {"user.registered"});  // bound to nothing we send
  const std::vector<std::string> ids = addEvents(450);
  ASSERT_EQ(outbox_->pendingCount(), 450);

  Seen seen;
  AmqpConsumer consumer(options_,
                        Consumer{"audit", {"order.*"}, [&](const Event& e) { seen.add(e); }},
                        logger_, metrics_);
  consumer.start();
  AmqpRelay relay(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();

  ASSERT_TRUE(eventually([&] { return seen.distinct().size() == ids.size(); }))
      << "received " << seen.distinct().size() << " of " << ids.size();
  EXPECT_EQ(seen.distinct(), std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_TRUE(eventually([&] { return outbox_->pendingCount() == 0; }));

  // Events added while both run arrive within a doorbell ring, not a poll.
  const std::vector<std::string> more = addEvents(3);
  EXPECT_TRUE(eventually([&] { return seen.distinct().size() == ids.size() + 3; }, 5s));
  relay.stop();
  consumer.stop();
  EXPECT_EQ(outbox_->pendingCount(), 0);

  AmqpConnection connection(url_);
  EXPECT_EQ(connection.declareQueue(mainQueueName(options_, "audit")), 0U) << "all acked";
  EXPECT_EQ(connection.declareQueue(mainQueueName(options_, "other")), 0U) << "not bound";
}

// Published rows are kept for `events replay`, then deleted by whoever
// publishes: with RabbitMQ that is the relay (it used to be only the
// in-process dispatcher, so the outboxes of a RabbitMQ deployment grew forever).
TEST_F(AmqpEventsTest, TheRelayDeletesPublishedEventsAfterTheRetention) {
  declare("audit", {"order.*"});
  addEvents(5);
  AmqpOptions options = options_;
  options.outbox_purge =
      PurgeOptions{.retention = std::chrono::hours(0), .interval = std::chrono::milliseconds(50)};
  AmqpRelay relay(options, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();
  EXPECT_TRUE(eventually([&] { return outbox_->pendingCount() == 0; }));
  EXPECT_TRUE(eventually([&] { return outbox_->since("", 0, 100).empty(); }, 5s))
      << outbox_->since("", 0, 100).size() << " published row(s) left";
  relay.stop();

  // With the default retention (7 days) they stay, for replays.
  addEvents(2);
  AmqpRelay keeping(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  keeping.start();
  EXPECT_TRUE(eventually([&] { return outbox_->pendingCount() == 0; }));
  keeping.stop();
  EXPECT_EQ(outbox_->since("", 0, 100).size(), 2U);
}

// The broker nacks a publish that a full reject-publish queue refused; the
// relay must leave those events pending, and publish them once it can.
TEST_F(AmqpEventsTest, NackedEventsStayPendingUntilConfirmed) {
  const std::string full = options_.queue_prefix + "full";
  {
    AmqpConnection connection(url_);
    connection.declareExchange(options_.exchange);
    connection.declareQueue(full, AmqpTable{{"x-max-length", std::int64_t{0}},
                                            {"x-overflow", std::string("reject-publish")}});
    connection.bindQueue(full, options_.exchange, "order.*");
  }
  addEvents(5);
  AmqpRelay relay(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();
  std::this_thread::sleep_for(1500ms);  // a few passes, each nacked
  EXPECT_EQ(outbox_->pendingCount(), 5);
  AmqpConnection(url_).deleteQueue(full);
  EXPECT_TRUE(eventually([&] { return outbox_->pendingCount() == 0; }, 10s));
}

TEST_F(AmqpEventsTest, UnreachableBrokerLeavesEventsPendingUntilARelayGetsThrough) {
  declare("audit", {"order.*"});
  const std::vector<std::string> ids = addEvents(20);
  {
    const test::ClosedPort closed;
    AmqpOptions nowhere = options_;
    nowhere.url = "amqp://emporium:emporium@127.0.0.1:" + std::to_string(closed.port()) + "/%2f";
    AmqpRelay relay(nowhere, {outbox_.get()}, doorbell_, logger_, metrics_);
    relay.start();
    std::this_thread::sleep_for(1500ms);  // several reconnect attempts
    relay.stop();
  }
  EXPECT_EQ(outbox_->pendingCount(), 20);
  EXPECT_EQ(outbox_->due(100).size(), 20U) << "a transport failure is not a failed attempt";

  Seen seen;
  AmqpConsumer consumer(options_,
                        Consumer{"audit", {"order.*"}, [&](const Event& e) { seen.add(e); }},
                        logger_, metrics_);
  consumer.start();
  AmqpRelay relay(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();
  ASSERT_TRUE(eventually([&] { return seen.distinct().size() == ids.size(); }));
  EXPECT_EQ(seen.distinct(), std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_TRUE(eventually([&] { return outbox_->pendingCount() == 0; }));
}

TEST_F(AmqpEventsTest, FailingHandlerBacksOffThenDeadLettersAndReplayBringsItBack) {
  declare("flaky", {"order.*"});
  std::atomic<bool> fixed{false};
  Seen attempts;
  std::atomic<int> handled{0};
  AmqpConsumer consumer(options_,
                        Consumer{"flaky",
                                 {"order.*"},
                                 [&](const Event& e) {
                                   attempts.add(e);
                                   if (!fixed) throw std::runtime_error("smtp said no");
                                   ++handled;
                                 }},
                        logger_, metrics_);
  consumer.start();
  AmqpRelay relay(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();
  const std::string id = addEvents(1).front();

  std::vector<DeadLetter> dead;
  ASSERT_TRUE(eventually([&] {
    dead = listDeadLetters(options_, "flaky");
    return !dead.empty();
  }));
  const std::vector<Clock::time_point> times = attempts.times(id);
  ASSERT_EQ(times.size(), 4U) << "max_attempts handler calls, then the DLQ";
  for (int n = 1; n < 4; ++n) {
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(times[n] - times[n - 1]);
    EXPECT_GE(gap, options_.retry.delayAfter(n)) << "between attempt " << n << " and " << n + 1;
    EXPECT_LT(gap, options_.retry.delayAfter(n) + 2s);
  }
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].event.id, id);
  EXPECT_EQ(dead[0].event.type, "order.confirmed");
  EXPECT_EQ(dead[0].consumer, "flaky");
  EXPECT_EQ(dead[0].attempts, 4);
  EXPECT_EQ(dead[0].last_error, "smtp said no");
  EXPECT_FALSE(dead[0].dead_at.empty());
  EXPECT_EQ(listDeadLetters(options_, "flaky").size(), 1U) << "listing leaves them there";
  EXPECT_EQ(replayDeadLetters(options_, "flaky", "evt_not_there"), 0U);
  EXPECT_EQ(listDeadLetters(options_, "flaky").size(), 1U) << "a non-matching replay keeps it";

  fixed = true;
  EXPECT_EQ(replayDeadLetters(options_, "flaky", id), 1U);
  ASSERT_TRUE(eventually([&] { return handled == 1; }));
  EXPECT_EQ(attempts.times(id).size(), 5U);
  EXPECT_TRUE(listDeadLetters(options_, "flaky").empty());
}

// Before, a failure no retry can cure took every retry level (seconds to
// minutes of backoff) on its way to the DLQ.
TEST_F(AmqpEventsTest, PermanentFailureGoesToTheDeadLettersAtOnceWithItsReason) {
  declare("mailer", {"order.*"});
  Seen attempts;
  AmqpConsumer consumer(options_,
                        Consumer{"mailer",
                                 {"order.*"},
                                 [&](const Event& e) {
                                   attempts.add(e);
                                   throw events::PermanentFailure("550 no such mailbox");
                                 }},
                        logger_, metrics_);
  consumer.start();
  AmqpRelay relay(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();
  const std::string id = addEvents(1).front();
  std::vector<DeadLetter> dead;
  ASSERT_TRUE(eventually([&] {
    dead = listDeadLetters(options_, "mailer");
    return !dead.empty();
  }));
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].event.id, id);
  EXPECT_EQ(dead[0].attempts, 1);
  EXPECT_EQ(dead[0].last_error, "550 no such mailbox");
  EXPECT_EQ(attempts.times(id).size(), 1U);
}

TEST_F(AmqpEventsTest, UnparseableMessageIsDeadLetteredWithItsBody) {
  declare("strict", {"#"});
  options_.retry.max_attempts = 2;  // topology declared with 4 levels; level 1 exists
  Seen seen;
  AmqpConsumer consumer(options_, Consumer{"strict", {"#"}, [&](const Event& e) { seen.add(e); }},
                        logger_, metrics_);
  consumer.start();
  {
    AmqpConnection connection(url_);
    connection.publish(OutgoingMessage{.exchange = options_.exchange,
                                       .routing_key = "order.confirmed",
                                       .body = "not json",
                                       .message_id = "m1"});
  }
  std::vector<DeadLetter> dead;
  ASSERT_TRUE(eventually([&] {
    dead = listDeadLetters(options_, "strict");
    return !dead.empty();
  }));
  EXPECT_EQ(dead[0].raw_body, "not json");
  EXPECT_TRUE(dead[0].event.id.empty());
  EXPECT_EQ(dead[0].attempts, 2);
  EXPECT_EQ(seen.count(), 0U);
  consumer.stop();
  options_.retry.max_attempts = 4;  // for TearDown's delete of every level
}

// A consumer process that dies (SIGKILL) while its handler runs never acked
// the message, so the broker gives it to the next consumer.
TEST_F(AmqpEventsTest, MessageOfAConsumerKilledMidHandleIsRedelivered) {
  declare("crashy", {"order.*"});
  test::ChildProcess child(
      {std::filesystem::read_symlink("/proc/self/exe").string(), "--crash-child", url_,
       options_.exchange, options_.queue_prefix, "crashy"},
      {});
  AmqpRelay relay(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();
  const std::string id = addEvents(1).front();
  ASSERT_TRUE(eventually([&] {
    return child.output().find("handling " + id) != std::string::npos;
  })) << child.output();
  child.signal(SIGKILL);
  EXPECT_NE(child.wait(10s), -1);

  Seen seen;
  AmqpConsumer consumer(options_,
                        Consumer{"crashy", {"order.*"}, [&](const Event& e) { seen.add(e); }},
                        logger_, metrics_);
  consumer.start();
  ASSERT_TRUE(eventually([&] { return seen.count() == 1; })) << "the killed one's event";
  EXPECT_EQ(seen.distinct(), std::set<std::string>{id});
  consumer.stop();
  EXPECT_EQ(AmqpConnection(url_).declareQueue(mainQueueName(options_, "crashy")), 0U);
}

// RabbitMQ taken away (stop_app: connections dropped, durable queues kept)
// and brought back: the relay keeps events in the outbox meanwhile, and
// both workers reconnect on their own. Opt-in (EMPORIUM_TEST_RABBITMQ_RESTART=1)
// because it takes the broker away from every other test using it: run it
// against a private set of servers (EMPORIUM_TEST_STATE=... test-servers.sh start).
TEST_F(AmqpEventsTest, WorkersRideOutABrokerRestart) {
  if (!test::required("EMPORIUM_TEST_RABBITMQ_RESTART")) {
    GTEST_SKIP() << "set EMPORIUM_TEST_RABBITMQ_RESTART=1 to stop and start RabbitMQ";
  }
  const auto state = test::env("EMPORIUM_TEST_STATE");
  ASSERT_TRUE(state.has_value()) << "EMPORIUM_TEST_STATE names the servers' state dir";
  const auto broker = [&](const std::string& command) {
    const test::ProcessResult result =
        test::runProcess({"/bin/bash", EMPORIUM_TEST_SERVERS_SCRIPT, command},
                         {{"EMPORIUM_TEST_STATE", *state}, {"PATH", "/usr/sbin:/usr/bin:/bin"}},
                         std::chrono::seconds(120));
    ASSERT_EQ(result.exit_code, 0) << command << ": " << result.output;
  };
  declare("steady", {"order.*"});
  Seen seen;
  AmqpConsumer consumer(options_,
                        Consumer{"steady", {"order.*"}, [&](const Event& e) { seen.add(e); }},
                        logger_, metrics_);
  consumer.start();
  AmqpRelay relay(options_, {outbox_.get()}, doorbell_, logger_, metrics_);
  relay.start();
  std::vector<std::string> ids = addEvents(10);
  ASSERT_TRUE(eventually([&] { return seen.distinct().size() == 10; }));

  broker("rabbitmq-stop-app");
  const std::vector<std::string> during = addEvents(10);
  ids.insert(ids.end(), during.begin(), during.end());
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(outbox_->pendingCount(), 10) << "nothing confirmed while the broker is away";
  broker("rabbitmq-start-app");

  ASSERT_TRUE(eventually([&] { return seen.distinct().size() == 20; }, 60s))
      << seen.distinct().size() << " of 20";
  EXPECT_EQ(seen.distinct(), std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_TRUE(eventually([&] { return outbox_->pendingCount() == 0; }));
}

TEST_F(AmqpEventsTest, ActivityLogReplaysFromAPointInTime) {
  stream_declared_ = true;
  AmqpActivityLog log(options_, logger_);
  for (int i = 0; i < 3; ++i) log.record("activity.searched", R"({"q":"old","results":1})");
  log.flush();
  // Stream offsets are whole seconds: step past the second of the old ones.
  std::this_thread::sleep_for(1100ms);
  const auto from = std::chrono::system_clock::now();
  for (int i = 0; i < 4; ++i) log.record("activity.product_viewed", R"({"product_id":"p1"})");
  log.flush();
  EXPECT_EQ(log.dropped(), 0U);

  std::vector<Event> replayed;
  EXPECT_EQ(log.replay(from, [&](const Event& e) { replayed.push_back(e); }), 4U);
  ASSERT_EQ(replayed.size(), 4U);
  for (const Event& e : replayed) {
    EXPECT_EQ(e.type, "activity.product_viewed");
    EXPECT_EQ(e.source, "activity");
    EXPECT_EQ(e.payload, R"({"product_id":"p1"})");
  }
  for (std::size_t i = 1; i < replayed.size(); ++i) {
    EXPECT_LE(replayed[i - 1].occurred_at, replayed[i].occurred_at) << "oldest first";
  }
  std::size_t all = log.replay(from - 1h, [](const Event&) {});
  EXPECT_EQ(all, 7U);
}

// --crash-child URL EXCHANGE PREFIX CONSUMER: a consumer whose handler says
// which event it handles, then hangs until the parent kills the process.
int crashChild(char** argv) {
  const log::Logger logger(log::Level::kWarn);
  EventMetrics metrics;
  AmqpOptions options;
  options.url = argv[2];
  options.exchange = argv[3];
  options.queue_prefix = argv[4];
  options.retry = namedOptions(options.url, "x").retry;  // the same retry queues
  AmqpConsumer consumer(options,
                        Consumer{argv[5],
                                 {"order.*"},
                                 [](const Event& e) {
                                   std::printf("handling %s\n", e.id.c_str());
                                   std::fflush(stdout);
                                   for (;;) std::this_thread::sleep_for(1h);
                                 }},
                        logger, metrics);
  consumer.start();
  for (;;) std::this_thread::sleep_for(1h);
}

}  // namespace
}  // namespace emporium::events

int main(int argc, char** argv) {
  if (argc == 6 && std::string_view(argv[1]) == "--crash-child") {
    return emporium::events::crashChild(argv);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
