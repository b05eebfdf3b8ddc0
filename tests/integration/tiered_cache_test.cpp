// TieredCache against a real Redis 7: L3 shared by instances, invalidation and
// generations over pub/sub (on the shared test server from
// EMPORIUM_TEST_REDIS_URL), and private redis-server children for the tests
// that stop, restart or disconnect one.

#include "core/cache/tiered_cache.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/deps/url.hpp"
#include "core/metrics/exposition.hpp"
#include "e2e/process.hpp"
#include "support/private_redis.hpp"

namespace emporium::cache {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool serversRequired() { return test::required("EMPORIUM_REQUIRE_SERVERS"); }

std::string uniquePrefix() {
  return "emporium:cachetest:" + std::to_string(::getpid()) + ":" + test::randomSuffix() + ":";
}

// A plain hiredis connection for looking at what the cache wrote.
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

  std::optional<long long> integer(const std::vector<std::string>& args) {
    const auto reply = command(args);
    if (!reply || reply->type != REDIS_REPLY_INTEGER) return std::nullopt;
    return reply->integer;
  }
  std::optional<std::string> string(const std::vector<std::string>& args) {
    const auto reply = command(args);
    if (!reply || reply->type != REDIS_REPLY_STRING) return std::nullopt;
    return std::string(reply->str, reply->len);
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

template <typename F>
bool eventually(F&& condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

template <typename F>
milliseconds timed(F&& body) {
  const auto start = Clock::now();
  body();
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// A loader that counts its calls.
struct CountingLoader {
  std::string body;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::string operator()() const {
    ++*calls;
    return body;
  }
};

class CacheRedisTestBase : public ::testing::Test {
 protected:
  // hiredis writes to sockets a killed server has closed; `emporium serve` ignores
  // SIGPIPE for the same reason.
  void SetUp() override { ::signal(SIGPIPE, SIG_IGN); }
};

// --- against the shared server ------------------------------------------------

class SharedRedisCacheTest : public CacheRedisTestBase {
 protected:
  void SetUp() override {
    CacheRedisTestBase::SetUp();
    const auto url = test::env("EMPORIUM_TEST_REDIS_URL");
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

  // Timeouts generous enough that a busy CI machine does not turn a correctness test
  // into a fallback test. The prefix keeps keys, channel and generation per test. Waits
  // for the subscriber, whose first subscription clears the L4 (as every one does).
  std::unique_ptr<TieredCache> instance() {
    Options options;
    options.l4_max_bytes = 1 << 20;
    options.redis_url = url_;
    options.redis.prefix = prefix_;
    options.redis.connect_timeout = 2s;
    options.redis.command_timeout = 2s;
    auto cache = std::make_unique<TieredCache>(std::move(options));
    EXPECT_TRUE(cache->stats().redis_up);
    EXPECT_TRUE(eventually([&] { return cache->stats().subscriber_up; }, 5s));
    return cache;
  }

  std::string url_;
  std::string prefix_;
  std::unique_ptr<RawRedis> raw_;
};

TEST_F(SharedRedisCacheTest, SecondInstanceGetsTheValueFromRedisWithoutLoading) {
  const auto a = instance();
  const auto b = instance();
  const CountingLoader load_a{"product 1"};
  const CountingLoader load_b{"never used"};

  const auto first = a->getOrLoad("product:1", Kind::kProduct, load_a);
  EXPECT_EQ(first->body, "product 1");
  const auto stored = raw_->string({"GET", prefix_ + "product:1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(*stored, "v1\n" + first->etag + "\nproduct 1");
  const auto ttl = raw_->integer({"TTL", prefix_ + "product:1"});
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 29 * 60);  // the product L3 TTL: 30 min
  EXPECT_LE(*ttl, 30 * 60);

  const auto second = b->getOrLoad("product:1", Kind::kProduct, load_b);
  EXPECT_EQ(second->body, "product 1");
  EXPECT_EQ(second->etag, first->etag);
  EXPECT_EQ(*load_a.calls, 1);
  EXPECT_EQ(*load_b.calls, 0);
  EXPECT_NE(b->peekLocal("product:1"), nullptr);  // and now in B's L4 too

  const CacheStats a_stats = a->stats();
  EXPECT_EQ(a_stats.l3_misses, 1u);
  EXPECT_EQ(a_stats.loads, 1u);
  const CacheStats b_stats = b->stats();
  EXPECT_EQ(b_stats.l3_hits, 1u);
  EXPECT_EQ(b_stats.loads, 0u);
  EXPECT_EQ(a_stats.redis_errors + b_stats.redis_errors, 0u);
}

TEST_F(SharedRedisCacheTest, UnreadableRedisValueIsAMissNotAnError) {
  const auto cache = instance();
  ASSERT_TRUE(raw_->run({"SET", prefix_ + "k", "garbage without a header"}));
  const CountingLoader load{"fresh"};
  EXPECT_EQ(cache->getOrLoad("k", Kind::kListing, load)->body, "fresh");
  EXPECT_EQ(*load.calls, 1);
  EXPECT_EQ(raw_->string({"GET", prefix_ + "k"}).value_or("").substr(0, 3), "v1\n");
}

TEST_F(SharedRedisCacheTest, InvalidationReachesTheOtherInstance) {
  const auto a = instance();
  const auto b = instance();
  const CountingLoader load{"page"};
  a->getOrLoad("listing:7", Kind::kListing, load);
  a->getOrLoad("listing:8", Kind::kListing, load);
  ASSERT_NE(a->peekLocal("listing:7"), nullptr);
  ASSERT_EQ(raw_->integer({"EXISTS", prefix_ + "listing:7"}), 1);

  const std::vector<std::string> keys{"listing:7"};
  b->invalidate(keys);
  // Synchronous for Redis...
  EXPECT_EQ(raw_->integer({"EXISTS", prefix_ + "listing:7"}), 0);
  // ...and soon for the other instance.
  EXPECT_TRUE(eventually([&] { return a->peekLocal("listing:7") == nullptr; }, 2s));
  EXPECT_NE(a->peekLocal("listing:8"), nullptr);
  EXPECT_EQ(a->stats().invalidations, 1u);
  EXPECT_EQ(b->stats().invalidations, 1u);

  // The next read loads afresh.
  a->getOrLoad("listing:7", Kind::kListing, load);
  EXPECT_EQ(*load.calls, 3);
}

TEST_F(SharedRedisCacheTest, GenerationBumpReachesEveryInstance) {
  const auto a = instance();
  const auto b = instance();
  EXPECT_EQ(a->generation(), 0u);
  a->bumpGeneration();
  a->bumpGeneration();
  EXPECT_EQ(a->generation(), 2u);
  EXPECT_EQ(raw_->string({"GET", prefix_ + "generation"}), "2");
  EXPECT_TRUE(eventually([&] { return b->generation() == 2; }, 2s)) << b->generation();

  // A new instance starts from Redis's value.
  EXPECT_EQ(instance()->generation(), 2u);

  // A process ahead of Redis (it bumped while Redis was down) still moves forward.
  ASSERT_TRUE(raw_->run({"SET", prefix_ + "generation", "1"}));
  b->bumpGeneration();
  EXPECT_EQ(b->generation(), 3u);
  EXPECT_EQ(raw_->string({"GET", prefix_ + "generation"}), "3");
  EXPECT_TRUE(eventually([&] { return a->generation() == 3; }, 2s));
  EXPECT_EQ(a->stats().redis_errors + b->stats().redis_errors, 0u);
}

TEST_F(SharedRedisCacheTest, ValueLoadedDuringAnInvalidationIsTakenBackFromRedis) {
  const auto cache = instance();
  const std::vector<std::string> keys{"product:9"};
  const auto entry = cache->getOrLoad("product:9", Kind::kProduct, [&] {
    cache->invalidate(keys);  // as if an update committed while this was read
    return std::string("stale");
  });
  EXPECT_EQ(entry->body, "stale");
  EXPECT_EQ(cache->peekLocal("product:9"), nullptr);
  EXPECT_EQ(raw_->integer({"EXISTS", prefix_ + "product:9"}), 0);
}

// --- no server, or a server that goes away ---------------------------------------

// A request must get its answer well within its budget while Redis is gone.
constexpr auto kQuick = 300ms;

class UnreachableRedisCacheTest : public CacheRedisTestBase {};

TEST_F(UnreachableRedisCacheTest, NothingListeningServesFromTheLoader) {
  const test::ClosedPort closed;
  Options options;
  options.redis_url = "redis://127.0.0.1:" + std::to_string(closed.port()) + "/0";
  std::unique_ptr<TieredCache> cache;
  EXPECT_LT(timed([&] { cache = std::make_unique<TieredCache>(std::move(options)); }), kQuick);
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_LT(timed([&] {
                EXPECT_EQ(
                    cache->getOrLoad(key, Kind::kProduct, [] { return std::string("v"); })->body,
                    "v");
              }),
              kQuick);
  }
  const std::vector<std::string> keys{"k1"};
  cache->invalidate(keys);
  cache->bumpGeneration();
  EXPECT_EQ(cache->generation(), 1u);  // locally
  EXPECT_EQ(cache->peekLocal("k1"), nullptr);
  const CacheStats stats = cache->stats();
  EXPECT_FALSE(stats.redis_up);
  EXPECT_FALSE(stats.subscriber_up);
  EXPECT_GE(stats.redis_errors, 20u);
  EXPECT_EQ(stats.loads, 20u);
  const std::string metrics =
      metrics::textOf([&cache](metrics::Exposition& e) { cache->collect(e); });
  EXPECT_NE(metrics.find("emporium_cache_redis_up 0\n"), std::string::npos);
  EXPECT_LT(timed([&] { cache.reset(); }), kQuick);  // the subscriber stops promptly
}

TEST_F(UnreachableRedisCacheTest, ServerThatNeverAnswersCostsAtMostOneTimeoutPerRequest) {
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

  Options options;  // the production timeouts: 100 ms to connect, 50 ms a command
  options.redis_url = "redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  std::unique_ptr<TieredCache> cache;
  EXPECT_LT(timed([&] { cache = std::make_unique<TieredCache>(std::move(options)); }), kQuick);
  EXPECT_FALSE(cache->stats().redis_up);
  // Within the backoff (1 s) nobody waits on the silent server.
  for (int i = 0; i < 20; ++i) {
    EXPECT_LT(timed([&] {
                cache->getOrLoad("k" + std::to_string(i), Kind::kProduct,
                                 [] { return std::string("v"); });
              }),
              50ms)
        << i;
  }
  EXPECT_GE(cache->stats().redis_errors, 40u);  // a GET and a SET skipped per request
  EXPECT_FALSE(cache->stats().subscriber_up);
  EXPECT_LT(timed([&] { cache.reset(); }), kQuick);
  ::close(listener);
}

class PrivateRedisCacheTest : public CacheRedisTestBase {
 protected:
  static constexpr const char* kPassword = "s3cret";

  void SetUp() override {
    CacheRedisTestBase::SetUp();
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
    url_ = redis_->url(3);
  }

  void killServer() { redis_->kill(); }

  // Production timeouts, short backoffs so that the test sees recovery quickly.
  Options options() const {
    Options options;
    options.redis_url = url_;
    options.redis.prefix = uniquePrefix();
    options.redis.initial_backoff = 50ms;
    options.redis.max_backoff = 200ms;
    return options;
  }

  std::string url_;
  std::unique_ptr<test::PrivateRedis> redis_;
};

TEST_F(PrivateRedisCacheTest, KeepsAnsweringWhileRedisIsDownAndUsesItAgainAfter) {
  ASSERT_NO_FATAL_FAILURE(startServer());
  const Options opts = options();
  const std::string prefix = opts.redis.prefix;
  TieredCache cache(opts);  // with AUTH and SELECT 3
  ASSERT_TRUE(cache.stats().redis_up);
  ASSERT_TRUE(eventually([&] { return cache.stats().subscriber_up; }, 5s));
  int n = 0;
  const auto load = [&n] { return "value " + std::to_string(++n); };
  EXPECT_EQ(cache.getOrLoad("before", Kind::kProduct, load)->body, "value 1");
  EXPECT_EQ(RawRedis(url_).integer({"EXISTS", prefix + "before"}), 1);
  EXPECT_EQ(cache.stats().redis_errors, 0u);

  killServer();
  for (int i = 0; i < 10; ++i) {
    const std::string key = "during:" + std::to_string(i);
    EXPECT_LT(timed([&] {
                EXPECT_NO_THROW(EXPECT_NE(cache.getOrLoad(key, Kind::kProduct, load), nullptr));
              }),
              kQuick)
        << i;
  }
  EXPECT_NE(cache.peekLocal("before"), nullptr);  // L4 still answers
  const CacheStats down = cache.stats();
  EXPECT_FALSE(down.redis_up);
  EXPECT_GE(down.redis_errors, 10u);
  EXPECT_EQ(down.loads, 11u);

  ASSERT_NO_FATAL_FAILURE(startServer());
  // The subscriber reconnects in the background and reopens Redis for requests.
  EXPECT_TRUE(
      eventually([&] { return cache.stats().subscriber_up && cache.stats().redis_up; }, 10s));
  const std::uint64_t errors = cache.stats().redis_errors;
  EXPECT_EQ(cache.getOrLoad("after", Kind::kProduct, load)->body, "value 12");
  EXPECT_EQ(RawRedis(url_).integer({"EXISTS", prefix + "after"}), 1);
  EXPECT_EQ(cache.stats().redis_errors, errors);
  // On resubscribing it dropped its L4: invalidations sent meanwhile were lost.
  EXPECT_EQ(cache.peekLocal("before"), nullptr);
}

TEST_F(PrivateRedisCacheTest, WithinTheBackoffNobodyWaitsOnRedis) {
  ASSERT_NO_FATAL_FAILURE(startServer());
  Options opts = options();
  opts.redis.initial_backoff = 5s;  // the subscriber stays out of the way
  opts.redis.max_backoff = 5s;
  TieredCache cache(opts);
  ASSERT_TRUE(cache.stats().redis_up);
  killServer();
  EXPECT_NE(cache.getOrLoad("a", Kind::kProduct, [] { return std::string("x"); }), nullptr);
  EXPECT_FALSE(cache.stats().redis_up);
  // Within the backoff, nobody waits on Redis.
  for (int i = 0; i < 20; ++i) {
    EXPECT_LT(timed([&] {
                cache.getOrLoad("k" + std::to_string(i), Kind::kListing,
                                [] { return std::string("x"); });
              }),
              50ms);
  }
  EXPECT_GE(cache.stats().redis_errors, 21u);
}

TEST_F(PrivateRedisCacheTest, ResubscribingClearsTheLocalTier) {
  ASSERT_NO_FATAL_FAILURE(startServer());
  TieredCache cache(options());
  ASSERT_TRUE(eventually([&] { return cache.stats().subscriber_up; }, 5s));
  cache.getOrLoad("p", Kind::kProduct, [] { return std::string("x"); });
  ASSERT_NE(cache.peekLocal("p"), nullptr);
  // As a failover or a proxy restart would: the subscriber may have missed messages.
  ASSERT_TRUE(RawRedis(url_).run({"CLIENT", "KILL", "TYPE", "pubsub"}));
  EXPECT_TRUE(eventually([&] { return cache.peekLocal("p") == nullptr; }, 5s));
  EXPECT_TRUE(eventually([&] { return cache.stats().subscriber_up; }, 5s));
  EXPECT_TRUE(cache.stats().redis_up);
}

// Under load a command can miss its 50 ms timeout while Redis and the
// subscribers stay up: what such an invalidation meant to drop must still go,
// in Redis and in the other processes, once Redis answers again.
TEST_F(PrivateRedisCacheTest, AnInvalidationRedisMissedIsSentOnceItAnswers) {
  ASSERT_NO_FATAL_FAILURE(startServer());
  const Options opts = options();
  const std::string prefix = opts.redis.prefix;
  TieredCache writer(opts);
  TieredCache reader(opts);
  ASSERT_TRUE(
      eventually([&] { return writer.stats().subscriber_up && reader.stats().subscriber_up; }, 5s));
  const auto load = [] { return std::string("old"); };
  writer.getOrLoad("product:1", Kind::kProduct, load);
  reader.getOrLoad("product:1", Kind::kProduct, load);
  ASSERT_NE(reader.peekLocal("product:1"), nullptr);
  RawRedis raw(url_);
  ASSERT_EQ(raw.integer({"EXISTS", prefix + "product:1"}), 1);
  const std::uint64_t generation = writer.generation();

  // Writes (DEL, PUBLISH, the generation's EVAL) wait; reads and PINGs do not,
  // so both subscribers stay subscribed and nothing clears their L4 for us.
  ASSERT_TRUE(raw.run({"CLIENT", "PAUSE", "700", "WRITE"}));
  const std::uint64_t errors = writer.stats().redis_errors;
  const std::vector<std::string> keys{"product:1"};
  writer.invalidate(keys);
  writer.bumpGeneration();
  ASSERT_GT(writer.stats().redis_errors, errors) << "Redis took the invalidation at once";
  EXPECT_EQ(writer.generation(), generation + 1);  // this process moved on at once

  // Once the pause ends: gone from Redis, from the other process's L4, and the
  // other process uses the new generation.
  EXPECT_TRUE(eventually([&] { return raw.integer({"EXISTS", prefix + "product:1"}) == 0; }, 5s));
  EXPECT_TRUE(eventually([&] { return reader.peekLocal("product:1") == nullptr; }, 5s));
  EXPECT_TRUE(eventually([&] { return reader.generation() > generation; }, 5s))
      << reader.generation();
  EXPECT_EQ(reader.generation(), writer.generation());
}

}  // namespace
}  // namespace emporium::cache
