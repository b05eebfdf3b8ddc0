// The in-process tier (LruCache) and TieredCache without Redis: byte bound,
// LRU order, TTLs, coalescing, loader failures and invalidation races.

#include "core/cache/lru_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/cache/entry.hpp"
#include "core/cache/tiered_cache.hpp"
#include "core/metrics/exposition.hpp"

namespace emporium::cache {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

// A clock the test moves by hand.
struct FakeClock {
  std::atomic<TimePoint> now{TimePoint{} + 1h};
  ClockFn fn() {
    return [this] { return now.load(); };
  }
  void advance(std::chrono::steady_clock::duration by) { now.store(now.load() + by); }
};

// Costs exactly key.size() + body.size() bytes (no ETag).
std::shared_ptr<const Entry> value(std::string body) {
  return std::make_shared<const Entry>(Entry{std::move(body), ""});
}

std::string body(const std::shared_ptr<const Entry>& entry) {
  return entry ? entry->body : "<null>";
}

// Polls until condition holds; for waiting on other threads, not on time.
template <typename F>
bool eventually(F&& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// --- makeEtag -------------------------------------------------------------------

TEST(MakeEtag, QuotedSixteenHexDigitsOfFnv1a) {
  EXPECT_EQ(makeEtag(""), "\"cbf29ce484222325\"");  // the FNV-1a 64 offset basis
  EXPECT_EQ(makeEtag("a"), "\"af63dc4c8601ec8c\"");
  EXPECT_EQ(makeEtag("hello"), makeEtag("hello"));
  EXPECT_NE(makeEtag("hello"), makeEtag("hellp"));
}

// --- LruCache ---------------------------------------------------------------------

TEST(LruCache, EvictsLeastRecentlyUsedToStayWithinBytes) {
  FakeClock clock;
  LruCache lru(100, 1, clock.fn());
  lru.put("a", value(std::string(24, 'a')), 1min);  // 25 bytes each
  lru.put("b", value(std::string(24, 'b')), 1min);
  lru.put("c", value(std::string(24, 'c')), 1min);
  lru.put("d", value(std::string(24, 'd')), 1min);
  EXPECT_EQ(lru.bytes(), 100u);
  EXPECT_EQ(lru.size(), 4u);
  ASSERT_NE(lru.get("a"), nullptr);  // a is now the most recent; b the least

  lru.put("e", value(std::string(24, 'e')), 1min);
  EXPECT_EQ(lru.get("b"), nullptr);
  EXPECT_EQ(lru.evictions(), 1u);
  EXPECT_EQ(lru.bytes(), 100u);

  lru.put("f", value(std::string(49, 'f')), 1min);  // 50 bytes: c and d go, in that order
  EXPECT_EQ(lru.get("c"), nullptr);
  EXPECT_EQ(lru.get("d"), nullptr);
  EXPECT_NE(lru.get("a"), nullptr);
  EXPECT_NE(lru.get("e"), nullptr);
  EXPECT_NE(lru.get("f"), nullptr);
  EXPECT_EQ(lru.evictions(), 3u);
  EXPECT_EQ(lru.bytes(), 100u);
}

TEST(LruCache, CountsKeyBodyAndEtag) {
  LruCache lru(1000, 1);
  lru.put("key", std::make_shared<const Entry>(Entry{"body!", "\"etag\""}), 1min);
  EXPECT_EQ(lru.bytes(), 3u + 5u + 6u);
}

TEST(LruCache, ReplacingUpdatesTheByteCount) {
  LruCache lru(100, 1);
  lru.put("k", value(std::string(9, 'x')), 1min);
  EXPECT_EQ(lru.bytes(), 10u);
  lru.put("k", value(std::string(59, 'y')), 1min);
  EXPECT_EQ(lru.bytes(), 60u);
  EXPECT_EQ(lru.size(), 1u);
  EXPECT_EQ(body(lru.get("k")), std::string(59, 'y'));
  lru.put("k", value("z"), 1min);
  EXPECT_EQ(lru.bytes(), 2u);
  EXPECT_TRUE(lru.erase("k"));
  EXPECT_FALSE(lru.erase("k"));
  EXPECT_EQ(lru.bytes(), 0u);
  EXPECT_EQ(lru.evictions(), 0u);
}

TEST(LruCache, ReplacingCanEvictOthersButNeverItself) {
  LruCache lru(100, 1);
  lru.put("a", value(std::string(39, 'a')), 1min);
  lru.put("b", value(std::string(39, 'b')), 1min);
  lru.put("a", value(std::string(79, 'A')), 1min);  // 80 + 40 > 100: b goes
  EXPECT_EQ(lru.get("b"), nullptr);
  EXPECT_EQ(body(lru.get("a")), std::string(79, 'A'));
  EXPECT_EQ(lru.bytes(), 80u);
}

TEST(LruCache, TooBigForAShardIsNotKeptAndDropsTheOldValue) {
  LruCache lru(400, 4);  // 100 bytes a shard
  lru.put("k", value("old"), 1min);
  lru.put("k", value(std::string(100, 'x')), 1min);  // 101 bytes
  EXPECT_EQ(lru.get("k"), nullptr);
  EXPECT_EQ(lru.bytes(), 0u);
  lru.put("k", value("v"), 0s);  // a zero TTL: not kept either
  EXPECT_EQ(lru.get("k"), nullptr);
}

TEST(LruCache, EntriesExpireAfterTheirTtl) {
  FakeClock clock;
  LruCache lru(1000, 2, clock.fn());
  lru.put("short", value("s"), 10s);
  lru.put("long", value("l"), 60s);
  clock.advance(9s);
  EXPECT_NE(lru.get("short"), nullptr);
  clock.advance(1s);
  EXPECT_EQ(lru.get("short"), nullptr);
  EXPECT_EQ(lru.size(), 1u);  // dropped on the way
  EXPECT_NE(lru.get("long"), nullptr);
  lru.put("short", value("again"), 10s);  // a new TTL from now
  clock.advance(9s);
  EXPECT_EQ(body(lru.get("short")), "again");
  clock.advance(41s);
  EXPECT_EQ(lru.get("long"), nullptr);
  EXPECT_EQ(lru.evictions(), 0u);  // expiry is not eviction
}

TEST(LruCache, ShardsTogetherStayWithinTheBound) {
  LruCache lru(std::size_t{16} * 1024, 16);
  for (int i = 0; i < 5000; ++i)
    lru.put("key:" + std::to_string(i), value(std::string(50, 'x')), 1min);
  EXPECT_LE(lru.bytes(), 16u * 1024u);
  EXPECT_GT(lru.bytes(), 12u * 1024u);  // the hash spreads keys over every shard
  EXPECT_EQ(lru.evictions(), 5000u - lru.size());
  lru.clear();
  EXPECT_EQ(lru.bytes(), 0u);
  EXPECT_EQ(lru.size(), 0u);
}

TEST(LruCache, ReadersKeepTheirEntryAfterEviction) {
  LruCache lru(50, 1);
  lru.put("a", value(std::string(40, 'a')), 1min);
  const auto held = lru.get("a");
  lru.put("b", value(std::string(40, 'b')), 1min);
  EXPECT_EQ(lru.get("a"), nullptr);
  EXPECT_EQ(held->body, std::string(40, 'a'));
}

// --- TieredCache without Redis ------------------------------------------------------

Options localOptions(FakeClock* clock = nullptr) {
  Options options;
  options.l4_max_bytes = 1 << 20;
  options.shards = 4;
  if (clock != nullptr) options.clock = clock->fn();
  return options;
}

TEST(TieredCache, LoadsOnceThenAnswersFromL4) {
  TieredCache cache(localOptions());
  int calls = 0;
  const auto load = [&] {
    ++calls;
    return std::string("page");
  };
  EXPECT_EQ(cache.peekLocal("p:1"), nullptr);
  const auto first = cache.getOrLoad("p:1", Kind::kProduct, load);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->body, "page");
  EXPECT_EQ(first->etag, makeEtag("page"));
  EXPECT_EQ(cache.getOrLoad("p:1", Kind::kProduct, load), first);
  EXPECT_EQ(cache.peekLocal("p:1"), first);
  EXPECT_EQ(calls, 1);
  const CacheStats stats = cache.stats();
  EXPECT_EQ(stats.l4_hits, 2u);    // getOrLoad and peekLocal
  EXPECT_EQ(stats.l4_misses, 1u);  // peekLocal's miss is not counted
  EXPECT_EQ(stats.loads, 1u);
  EXPECT_EQ(stats.l3_hits + stats.l3_misses + stats.redis_errors, 0u);
  EXPECT_EQ(stats.l4_entries, 1u);
  EXPECT_EQ(stats.l4_bytes, 3u + 4u + 18u);  // key, body, quoted ETag
  EXPECT_FALSE(stats.redis_up);
}

TEST(TieredCache, TtlsPerKind) {
  FakeClock clock;
  TieredCache cache(localOptions(&clock));
  const auto load = [] { return std::string("x"); };
  cache.getOrLoad("product", Kind::kProduct, load);        // 60 s
  cache.getOrLoad("listing", Kind::kListing, load);        // 30 s
  cache.getOrLoad("categories", Kind::kCategories, load);  // 60 s
  cache.getOrLoad("reviews", Kind::kReviews, load);        // 30 s
  clock.advance(30s);
  EXPECT_NE(cache.peekLocal("product"), nullptr);
  EXPECT_EQ(cache.peekLocal("listing"), nullptr);
  EXPECT_NE(cache.peekLocal("categories"), nullptr);
  EXPECT_EQ(cache.peekLocal("reviews"), nullptr);
  clock.advance(30s);
  EXPECT_EQ(cache.peekLocal("product"), nullptr);
  EXPECT_EQ(cache.peekLocal("categories"), nullptr);
}

TEST(TieredCache, ZeroL4TtlIsNotKeptLocally) {
  Options options = localOptions();
  options.ttls.reviews = {0s, 0s};
  TieredCache cache(std::move(options));
  int calls = 0;
  const auto load = [&] { return std::to_string(++calls); };
  EXPECT_EQ(cache.getOrLoad("r", Kind::kReviews, load)->body, "1");
  EXPECT_EQ(cache.getOrLoad("r", Kind::kReviews, load)->body, "2");
}

TEST(TieredCache, ConcurrentMissesOnOneKeyRunTheLoaderOnce) {
  TieredCache cache(localOptions());
  constexpr int kThreads = 64;
  std::atomic<int> calls{0};
  // The loader holds the load open until every other thread waits on it, so each of
  // them is a coalesced wait (none can come late and hit L4 instead).
  const auto load = [&] {
    ++calls;
    EXPECT_TRUE(eventually([&] { return cache.stats().coalesced == kThreads - 1; }));
    return std::string("cold page");
  };
  std::latch start(kThreads);
  std::vector<std::shared_ptr<const Entry>> results(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[static_cast<std::size_t>(i)] = cache.getOrLoad("cold", Kind::kListing, load);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(calls.load(), 1);
  for (const auto& result : results) {
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(result, results.front());  // the very same entry
  }
  const CacheStats stats = cache.stats();
  EXPECT_EQ(stats.coalesced, kThreads - 1u);
  EXPECT_EQ(stats.loads, 1u);
  EXPECT_EQ(stats.l4_misses, static_cast<std::uint64_t>(kThreads));
}

TEST(TieredCache, LoaderExceptionReachesEveryWaiterAndCachesNothing) {
  TieredCache cache(localOptions());
  constexpr int kThreads = 8;
  std::atomic<int> calls{0};
  const auto failing = [&]() -> std::string {
    ++calls;
    EXPECT_TRUE(eventually([&] { return cache.stats().coalesced == kThreads - 1; }));
    throw std::runtime_error("database down");
  };
  std::latch start(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        cache.getOrLoad("broken", Kind::kProduct, failing);
      } catch (const std::runtime_error& error) {
        if (std::string(error.what()) == "database down") ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(errors.load(), kThreads);
  EXPECT_EQ(cache.peekLocal("broken"), nullptr);
  EXPECT_EQ(cache.stats().l4_entries, 0u);
  // The failure is not remembered either: the next call loads again.
  EXPECT_EQ(cache.getOrLoad("broken", Kind::kProduct, [] { return std::string("ok"); })->body,
            "ok");
}

TEST(TieredCache, InvalidationDuringALoadKeepsItsValueOutOfTheCache) {
  TieredCache cache(localOptions());
  const std::vector<std::string> keys{"p:7"};
  std::promise<void> loading;
  std::promise<void> release;
  auto leader = std::async(std::launch::async, [&] {
    return cache.getOrLoad("p:7", Kind::kProduct, [&] {
      loading.set_value();
      release.get_future().wait();
      return std::string("read before the update");
    });
  });
  loading.get_future().wait();
  cache.invalidate(keys);  // the update commits while the old row is being rendered

  // A caller after the invalidation does not join the stale load: it loads afresh.
  const auto fresh =
      cache.getOrLoad("p:7", Kind::kProduct, [] { return std::string("after the update"); });
  EXPECT_EQ(fresh->body, "after the update");

  release.set_value();
  EXPECT_EQ(leader.get()->body, "read before the update");  // its callers still get it
  EXPECT_EQ(body(cache.peekLocal("p:7")), "after the update");
  EXPECT_EQ(cache.stats().invalidations, 1u);
}

TEST(TieredCache, InvalidationInsideTheLoaderAlsoCounts) {
  TieredCache cache(localOptions());
  const std::vector<std::string> keys{"k"};
  const auto entry = cache.getOrLoad("k", Kind::kListing, [&] {
    cache.invalidate(keys);
    return std::string("stale");
  });
  EXPECT_EQ(entry->body, "stale");
  EXPECT_EQ(cache.peekLocal("k"), nullptr);
}

TEST(TieredCache, ClearDuringALoadKeepsItsValueOutOfTheCache) {
  TieredCache cache(localOptions());
  cache.getOrLoad("other", Kind::kProduct, [] { return std::string("o"); });
  cache.getOrLoad("k", Kind::kProduct, [&] {
    cache.clearLocal();
    return std::string("v");
  });
  EXPECT_EQ(cache.peekLocal("k"), nullptr);
  EXPECT_EQ(cache.peekLocal("other"), nullptr);
  EXPECT_EQ(cache.stats().l4_bytes, 0u);
}

TEST(TieredCache, InvalidateDropsOnlyTheGivenKeys) {
  TieredCache cache(localOptions());
  const auto load = [] { return std::string("v"); };
  cache.getOrLoad("a", Kind::kProduct, load);
  cache.getOrLoad("b", Kind::kProduct, load);
  cache.getOrLoad("c", Kind::kProduct, load);
  const std::vector<std::string> keys{"a", "c", "never-cached"};
  cache.invalidate(keys);
  EXPECT_EQ(cache.peekLocal("a"), nullptr);
  EXPECT_NE(cache.peekLocal("b"), nullptr);
  EXPECT_EQ(cache.peekLocal("c"), nullptr);
  EXPECT_EQ(cache.stats().invalidations, 3u);
  cache.invalidate({});
  EXPECT_EQ(cache.stats().invalidations, 3u);
}

TEST(TieredCache, GenerationBumpsLocallyWithoutRedis) {
  TieredCache cache(localOptions());
  EXPECT_EQ(cache.generation(), 0u);
  const auto listingKey = [&] { return "listing:g" + std::to_string(cache.generation()) + ":p1"; };
  int calls = 0;
  const auto load = [&] { return std::to_string(++calls); };
  EXPECT_EQ(cache.getOrLoad(listingKey(), Kind::kListing, load)->body, "1");
  EXPECT_EQ(cache.getOrLoad(listingKey(), Kind::kListing, load)->body, "1");
  cache.bumpGeneration();
  EXPECT_EQ(cache.generation(), 1u);
  EXPECT_EQ(cache.getOrLoad(listingKey(), Kind::kListing, load)->body, "2");
  cache.bumpGeneration();
  EXPECT_EQ(cache.stats().generation, 2u);
}

TEST(TieredCache, RendersPrometheusText) {
  TieredCache cache(localOptions());
  cache.getOrLoad("k", Kind::kProduct, [] { return std::string("v"); });
  cache.getOrLoad("k", Kind::kProduct, [] { return std::string("v"); });
  const std::string out = metrics::textOf([&cache](metrics::Exposition& e) { cache.collect(e); });
  EXPECT_NE(out.find("# TYPE emporium_cache_hits_total counter\n"), std::string::npos) << out;
  EXPECT_NE(out.find("emporium_cache_hits_total{tier=\"l4\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("emporium_cache_misses_total{tier=\"l4\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("emporium_cache_misses_total{tier=\"l3\"} 0\n"), std::string::npos);
  EXPECT_NE(out.find("emporium_cache_loads_total 1\n"), std::string::npos);
  EXPECT_NE(out.find("# HELP emporium_cache_evictions_total "), std::string::npos);
  EXPECT_NE(out.find("emporium_cache_coalesced_total 0\n"), std::string::npos);
  EXPECT_NE(out.find("emporium_cache_redis_errors_total 0\n"), std::string::npos);
  EXPECT_NE(out.find("emporium_cache_invalidations_total 0\n"), std::string::npos);
  EXPECT_NE(out.find("# TYPE emporium_cache_l4_bytes gauge\nemporium_cache_l4_bytes 20\n"),
            std::string::npos);
  EXPECT_EQ(out.find("emporium_cache_redis_up"), std::string::npos);  // no Redis configured
  EXPECT_EQ(out.back(), '\n');
}

TEST(TieredCache, RejectsMalformedRedisUrls) {
  for (const char* url : {"rediss://127.0.0.1:1", "redis://127.0.0.1:1/zero", "127.0.0.1:6379"}) {
    Options options = localOptions();
    options.redis_url = url;
    EXPECT_THROW(TieredCache{std::move(options)}, std::invalid_argument) << url;
  }
}

}  // namespace
}  // namespace emporium::cache
