// RedisRateLimiter against a real Redis 7: the shared test server from
// EMPORIUM_TEST_REDIS_URL, and private redis-server children for the tests that
// stop, restart or misconfigure one.

#include "core/ratelimit/redis_rate_limiter.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <latch>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/deps/url.hpp"
#include "e2e/process.hpp"
#include "support/private_redis.hpp"

namespace emporium::ratelimit {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool serversRequired() { return env("EMPORIUM_REQUIRE_SERVERS") == "1"; }

std::string uniquePrefix() {
  std::random_device random;
  return "emporium:rltest:" + std::to_string(::getpid()) + ":" + std::to_string(random()) + ":";
}

std::string urlWithDatabase(const std::string& url, int database) {
  const deps::ServerUrl parsed = deps::parseServerUrl(url, 6379);
  std::string auth;
  if (!parsed.password.empty()) auth = parsed.user + ":" + parsed.password + "@";
  return "redis://" + auth + parsed.host + ":" + std::to_string(parsed.port) + "/" +
         std::to_string(database);
}

// A plain hiredis connection for looking at what the limiter wrote.
class RawRedis {
 public:
  explicit RawRedis(const std::string& url) {
    const deps::ServerUrl parsed = deps::parseServerUrl(url, 6379);
    context_.reset(redisConnectWithTimeout(parsed.host.c_str(), parsed.port, timeval{2, 0}));
    if (!context_ || context_->err != 0) {
      context_.reset();
      return;
    }
    redisSetTimeout(context_.get(), timeval{2, 0});
    if (!parsed.password.empty() && !run({"AUTH", parsed.password})) context_.reset();
    if (context_ && !parsed.path.empty() && !run({"SELECT", parsed.path})) context_.reset();
  }

  bool connected() const { return context_ != nullptr; }

  /// The reply, or nullopt on an I/O error or an error reply.
  std::optional<long long> integer(const std::vector<std::string>& args) {
    const auto reply = command(args);
    if (!reply || reply->type != REDIS_REPLY_INTEGER) return std::nullopt;
    return reply->integer;
  }
  bool run(const std::vector<std::string>& args) {
    const auto reply = command(args);
    return reply && reply->type != REDIS_REPLY_ERROR;
  }
  /// Deletes every key that starts with prefix (KEYS is fine on a test server).
  void deleteKeys(const std::string& prefix) {
    const auto reply = command({"KEYS", prefix + "*"});
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return;
    for (std::size_t i = 0; i < reply->elements; ++i) {
      run({"DEL", std::string(reply->element[i]->str, reply->element[i]->len)});
    }
  }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  struct ReplyDeleter {
    void operator()(redisReply* r) const { freeReplyObject(r); }
  };
  using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

  ReplyPtr command(const std::vector<std::string>& args) {
    if (!context_) return nullptr;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(
        context_.get(), static_cast<int>(args.size()), argv.data(), lengths.data())));
  }

  std::unique_ptr<redisContext, ContextDeleter> context_;
};

// Timeouts generous enough that a busy CI machine does not turn a correctness test
// into a fallback test.
RedisRateLimiterOptions patientOptions(std::string prefix) {
  RedisRateLimiterOptions options;
  options.key_prefix = std::move(prefix);
  options.pool_size = 8;
  options.connect_timeout = 2s;
  options.command_timeout = 2s;
  return options;
}

class RedisTestBase : public ::testing::Test {
 protected:
  // hiredis writes to sockets a killed server has closed; so does `emporium serve`, which
  // ignores SIGPIPE for the same reason.
  void SetUp() override { ::signal(SIGPIPE, SIG_IGN); }
};

// --- against the shared server ------------------------------------------------

class SharedRedisTest : public RedisTestBase {
 protected:
  void SetUp() override {
    RedisTestBase::SetUp();
    const auto url = env("EMPORIUM_TEST_REDIS_URL");
    if (!url) {
      if (serversRequired()) GTEST_FAIL() << "EMPORIUM_REQUIRE_SERVERS=1 but no Redis URL";
      GTEST_SKIP() << "set EMPORIUM_TEST_REDIS_URL (source /tmp/emporium-test-servers/env "
                      "after scripts/test-servers.sh start) to run the Redis tests";
    }
    url_ = *url;
    prefix_ = uniquePrefix();
    raw_ = std::make_unique<RawRedis>(url_);
    ASSERT_TRUE(raw_->connected()) << "cannot reach " << url_;
  }

  void TearDown() override {
    if (raw_) raw_->deleteKeys(prefix_);
  }

  std::unique_ptr<RedisRateLimiter> limiter() {
    auto limiter = std::make_unique<RedisRateLimiter>(url_, patientOptions(prefix_));
    EXPECT_TRUE(limiter->healthy());
    return limiter;
  }

  std::string url_;
  std::string prefix_;
  std::unique_ptr<RawRedis> raw_;
};

TEST_F(SharedRedisTest, BurstUpToCapacityThenRefusedWithRetryAfter) {
  const auto rl = limiter();
  const Limit limit{5, 0.001};  // one token per 1000 s: no refill to speak of in a test
  for (int i = 0; i < 5; ++i) {
    const Decision d = rl->take("ip:1", limit);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.retry_after, 0ms);
    EXPECT_NEAR(d.remaining, 4 - i, 0.01);
  }
  const Decision refused = rl->take("ip:1", limit);
  EXPECT_FALSE(refused.allowed);
  EXPECT_NEAR(refused.remaining, 0, 0.01);
  EXPECT_GT(refused.retry_after, 990s);
  EXPECT_LE(refused.retry_after, 1000s);
  EXPECT_EQ(rl->fallbacks(), 0u);
}

TEST_F(SharedRedisTest, RefillsOverTime) {
  const auto rl = limiter();
  const Limit limit{2, 20};                   // a token every 50 ms
  EXPECT_TRUE(rl->take("k", limit).allowed);  // a full bucket holds two
  EXPECT_TRUE(rl->take("k", limit).allowed);
  // A loaded machine may take 50 ms between two calls, and so get a token
  // back: take until refused, which calls in a row soon are.
  std::optional<Decision> refused;
  for (int i = 0; i < 100 && !refused; ++i) {
    if (auto d = rl->take("k", limit); !d.allowed) refused = d;
  }
  ASSERT_TRUE(refused.has_value()) << "100 takes at 20/s never refused";
  EXPECT_GT(refused->retry_after, 0ms);
  EXPECT_LE(refused->retry_after, 50ms);
  // Redis's clock is the one under test: waiting is the point here.
  std::this_thread::sleep_for(refused->retry_after + 5ms);
  EXPECT_TRUE(rl->take("k", limit).allowed);
  EXPECT_EQ(rl->fallbacks(), 0u);
}

TEST_F(SharedRedisTest, RefusalsThatWaitingCannotCure) {
  const auto rl = limiter();
  EXPECT_TRUE(rl->take("zero", {1, 0}).allowed);
  const Decision never = rl->take("zero", {1, 0});
  EXPECT_FALSE(never.allowed);
  EXPECT_EQ(never.retry_after, kRetryNever);
  EXPECT_EQ(raw_->integer({"PTTL", prefix_ + "zero"}), -1);  // it never fills up again

  const Decision too_small = rl->take("fraction", {0.5, 10});
  EXPECT_FALSE(too_small.allowed);
  EXPECT_EQ(too_small.retry_after, kRetryNever);
  EXPECT_EQ(raw_->integer({"EXISTS", prefix_ + "fraction"}), 0);
}

TEST_F(SharedRedisTest, KeysAreIndependent) {
  const auto rl = limiter();
  const Limit limit{2, 0.001};
  EXPECT_TRUE(rl->take("a", limit).allowed);
  EXPECT_TRUE(rl->take("a", limit).allowed);
  EXPECT_FALSE(rl->take("a", limit).allowed);
  EXPECT_TRUE(rl->take("b", limit).allowed);
  EXPECT_TRUE(rl->take("b", limit).allowed);
  EXPECT_FALSE(rl->take("b", limit).allowed);
}

TEST_F(SharedRedisTest, TwoInstancesShareOneBucket) {
  const auto first = limiter();
  const auto second = limiter();
  const Limit limit{10, 0.001};
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(first->take("user:7", limit).allowed);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(second->take("user:7", limit).allowed);
  EXPECT_FALSE(second->take("user:7", limit).allowed);
  EXPECT_FALSE(first->take("user:7", limit).allowed);
  EXPECT_EQ(first->fallbacks() + second->fallbacks(), 0u);
}

TEST_F(SharedRedisTest, RacingThreadsNeverOverGrant) {
  const auto rl = limiter();
  constexpr int kThreads = 16;
  std::atomic<int> allowed{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < 10; ++i) {
        if (rl->take("hot", {50, 0.001}).allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(rl->fallbacks(), 0u);  // else the count below says nothing about Redis
  EXPECT_EQ(allowed.load(), 50);
}

TEST_F(SharedRedisTest, KeysExpireWhenTheBucketWouldBeFull) {
  const auto rl = limiter();
  const std::string key = prefix_ + "idle";
  ASSERT_TRUE(rl->take("idle", {3, 10}).allowed);
  ASSERT_TRUE(rl->take("idle", {3, 10}).allowed);
  const auto ttl = raw_->integer({"PTTL", key});
  ASSERT_TRUE(ttl.has_value());
  // At most two tokens at 10/s short: full again within 200 ms, so the key
  // lives no longer (how much less depends on how fast this machine is).
  EXPECT_GT(*ttl, 0);
  EXPECT_LE(*ttl, 200);
  const auto deadline = Clock::now() + 5s;
  while (raw_->integer({"EXISTS", key}) != 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(raw_->integer({"EXISTS", key}), 0);
}

TEST_F(SharedRedisTest, SelectsTheDatabaseNamedInTheUrl) {
  RedisRateLimiter rl(urlWithDatabase(url_, 7), patientOptions(prefix_));
  ASSERT_TRUE(rl.take("db", {5, 1}).allowed);
  RawRedis db7(urlWithDatabase(url_, 7));
  ASSERT_TRUE(db7.connected());
  EXPECT_EQ(db7.integer({"EXISTS", prefix_ + "db"}), 1);
  db7.run({"DEL", prefix_ + "db"});
}

// --- no server, or a useless one -----------------------------------------------

// Takes must answer from the fallback well within a request's budget.
constexpr auto kQuick = 200ms;

template <typename F>
milliseconds timed(F&& body) {
  const auto start = Clock::now();
  body();
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

class UnreachableRedisTest : public RedisTestBase {};

TEST_F(UnreachableRedisTest, NothingListeningFallsBackQuicklyAndCounts) {
  RedisRateLimiterOptions options;
  options.initial_backoff = 10ms;  // so that reconnection attempts happen during the test
  options.max_backoff = 40ms;
  std::unique_ptr<RedisRateLimiter> rl;
  const test::ClosedPort closed;
  const std::string url = "redis://127.0.0.1:" + std::to_string(closed.port()) + "/0";
  EXPECT_LT(timed([&] { rl = std::make_unique<RedisRateLimiter>(url, options); }), kQuick);
  EXPECT_FALSE(rl->healthy());
  const Limit limit{3, 0.001};
  std::vector<bool> allowed;
  for (int i = 0; i < 40; ++i) {
    EXPECT_LT(timed([&] { allowed.push_back(rl->take("ip:9", limit).allowed); }), kQuick) << i;
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(std::count(allowed.begin(), allowed.end(), true), 3);  // local semantics
  EXPECT_EQ(rl->fallbacks(), 40u);
  EXPECT_FALSE(rl->healthy());
}

TEST_F(UnreachableRedisTest, ServerThatNeverAnswersCostsOneTimeoutPerBackoff) {
  // Accepts connections (the kernel completes the handshake) but never replies.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 64), 0);
  socklen_t length = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length);
  const std::string url = "redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  RedisRateLimiterOptions options;  // the production timeouts: 100 ms a command
  // Long enough that the 20 calls below fit in it on a loaded machine.
  options.initial_backoff = 2s;
  std::unique_ptr<RedisRateLimiter> rl;
  EXPECT_LT(timed([&] { rl = std::make_unique<RedisRateLimiter>(url, options); }), kQuick);
  EXPECT_FALSE(rl->healthy());
  // Within the backoff nobody waits on the silent server (a caller who did
  // would take the whole command timeout).
  for (int i = 0; i < 20; ++i) {
    EXPECT_LT(timed([&] { rl->take("k", {100, 1}); }), options.command_timeout) << i;
  }
  // After it, one caller pays a command timeout to find out, and no more than that.
  std::this_thread::sleep_for(options.initial_backoff + 100ms);
  EXPECT_LT(timed([&] { rl->take("k", {100, 1}); }), kQuick);
  EXPECT_EQ(rl->fallbacks(), 21u);
  EXPECT_FALSE(rl->healthy());
  ::close(listener);
}

TEST_F(UnreachableRedisTest, RejectsMalformedUrls) {
  EXPECT_THROW(RedisRateLimiter("rediss://127.0.0.1:1"), std::invalid_argument);
  EXPECT_THROW(RedisRateLimiter("redis://127.0.0.1:1/zero"), std::invalid_argument);
  EXPECT_THROW(RedisRateLimiter("127.0.0.1:6379"), std::invalid_argument);
}

TEST_F(UnreachableRedisTest, FactoryChoosesByUrl) {
  const auto local = makeRateLimiter(std::nullopt);
  EXPECT_NE(dynamic_cast<LocalRateLimiter*>(local.get()), nullptr);
  const test::ClosedPort closed;
  const auto redis = makeRateLimiter("redis://127.0.0.1:" + std::to_string(closed.port()) + "/0");
  ASSERT_NE(dynamic_cast<RedisRateLimiter*>(redis.get()), nullptr);
  EXPECT_TRUE(redis->take("k", {1, 1}).allowed);
  EXPECT_FALSE(redis->take("k", {1, 1}).allowed);
}

// --- a private server, stopped and restarted ------------------------------------

class PrivateRedisTest : public RedisTestBase {
 protected:
  static constexpr const char* kPassword = "s3cret";

  void SetUp() override {
    RedisTestBase::SetUp();
    if (::access(EMPORIUM_REDIS_SERVER, X_OK) != 0) {
      if (serversRequired()) GTEST_FAIL() << "redis-server not found: " << EMPORIUM_REDIS_SERVER;
      GTEST_SKIP() << "redis-server is not installed";
    }
    redis_ = std::make_unique<test::PrivateRedis>(EMPORIUM_REDIS_SERVER, kPassword);
  }

  // The first start picks the port; a restart takes the same one, as a
  // restarted Redis would.
  void startServer() {
    ASSERT_TRUE(redis_->start());
    url_ = redis_->url(2);
  }

  void killServer() { redis_->kill(); }

  std::string url_;
  std::unique_ptr<test::PrivateRedis> redis_;
};

TEST_F(PrivateRedisTest, RecoversWhenRedisComesBack) {
  ASSERT_NO_FATAL_FAILURE(startServer());
  RedisRateLimiterOptions options;
  options.key_prefix = uniquePrefix();
  options.command_timeout = 1s;
  options.initial_backoff = 50ms;
  options.max_backoff = 200ms;
  RedisRateLimiter rl(url_, options);  // with AUTH and SELECT 2
  ASSERT_TRUE(rl.healthy());
  const Limit limit{100, 0.001};
  EXPECT_TRUE(rl.take("before", limit).allowed);
  EXPECT_EQ(RawRedis(url_).integer({"EXISTS", options.key_prefix + "before"}), 1);

  // The script cache emptied under a live connection: reloaded, not a failure.
  ASSERT_TRUE(RawRedis(url_).run({"SCRIPT", "FLUSH"}));
  EXPECT_TRUE(rl.take("before", limit).allowed);
  EXPECT_EQ(rl.fallbacks(), 0u);

  killServer();
  for (int i = 0; i < 5; ++i) {
    EXPECT_LT(timed([&] { EXPECT_TRUE(rl.take("during", limit).allowed); }), kQuick);
  }
  EXPECT_EQ(rl.fallbacks(), 5u);
  EXPECT_FALSE(rl.healthy());

  ASSERT_NO_FATAL_FAILURE(startServer());
  const auto deadline = Clock::now() + 10s;
  while (!rl.healthy() && Clock::now() < deadline) {
    rl.take("probe", limit);
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(rl.healthy());
  const auto fallbacks = rl.fallbacks();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.take("after", limit).allowed);
  EXPECT_EQ(rl.fallbacks(), fallbacks);
  EXPECT_EQ(RawRedis(url_).integer({"EXISTS", options.key_prefix + "after"}), 1);
}

TEST_F(PrivateRedisTest, PooledConnectionClosedByTheServerIsReplacedNotBlamed) {
  ASSERT_NO_FATAL_FAILURE(startServer());
  RedisRateLimiterOptions options;
  options.key_prefix = uniquePrefix();
  options.command_timeout = 1s;
  RedisRateLimiter rl(url_, options);
  ASSERT_TRUE(rl.healthy());
  EXPECT_TRUE(rl.take("k", {10, 1}).allowed);
  // As a proxy's or Redis's own idle timeout would (SKIPME spares the killer).
  RawRedis admin(url_);
  ASSERT_TRUE(admin.run({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}));
  EXPECT_TRUE(rl.take("k", {10, 1}).allowed);
  EXPECT_TRUE(rl.healthy());
  EXPECT_EQ(rl.fallbacks(), 0u);
}

TEST_F(PrivateRedisTest, WrongPasswordFallsBack) {
  ASSERT_NO_FATAL_FAILURE(startServer());
  RedisRateLimiter rl("redis://:wrong@127.0.0.1:" + std::to_string(redis_->port()));
  EXPECT_FALSE(rl.healthy());
  EXPECT_TRUE(rl.take("k", {1, 1}).allowed);
  EXPECT_FALSE(rl.take("k", {1, 1}).allowed);
  EXPECT_EQ(rl.fallbacks(), 2u);
}

}  // namespace
}  // namespace emporium::ratelimit
