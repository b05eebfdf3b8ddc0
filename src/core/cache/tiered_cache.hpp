#pragma once
// The response cache in front of the catalog's database: an in-process LRU
// (L4) in front of Redis (L3, cache-aside, only when a Redis URL is set) in
// front of whatever the caller's loader computes.
//
// Consistency. invalidate() and bumpGeneration() are synchronous for this
// process and for Redis; other processes hear of them over Redis pub/sub and
// drop the keys from their L4 a moment later. One that Redis does not take
// (down, in its backoff, a timeout) is kept and sent again as soon as Redis
// answers, so it is late, never lost. That moment, and the time a
// process is cut off from Redis, are why the L4 TTLs stay short: they bound
// how long a process can serve a value another process has invalidated. When
// the subscriber (re)connects it cannot know which messages it missed, so it
// clears the whole L4 and re-reads the generation.
//
// Failure. Redis down, slow or answering errors never fails a request: the
// value comes from L4 or the loader, the failure is counted
// (redis_errors), and Redis is skipped for a backoff period (1 s doubling to
// 5 s by default) instead of costing every request a timeout. The process
// must ignore SIGPIPE (`emporium serve` does), as hiredis writes to sockets
// the server may have closed.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/cache/entry.hpp"
#include "core/cache/lru_cache.hpp"

namespace emporium::metrics {
class Exposition;
}  // namespace emporium::metrics

namespace emporium::cache {

namespace detail {
class RedisTier;
class InvalidationSubscriber;
class Flight;
class Flights;
class PendingInvalidations;
}  // namespace detail

/// What a cached value is, for its TTLs.
enum class Kind : std::uint8_t { kProduct, kListing, kCategories, kReviews };

/// How long a value is kept in each tier; zero: not kept in that tier.
struct Ttls {
  std::chrono::seconds l4;
  std::chrono::seconds l3;
};

/// TTLs per Kind. L4 TTLs stay short: they bound the cross-process staleness window.
struct TtlTable {
  Ttls product{std::chrono::seconds(60), std::chrono::minutes(30)};
  Ttls listing{std::chrono::seconds(30), std::chrono::minutes(5)};
  Ttls categories{std::chrono::seconds(60), std::chrono::minutes(60)};
  Ttls reviews{std::chrono::seconds(30), std::chrono::minutes(5)};

  const Ttls& of(Kind kind) const;
};

/// Redis tuning; the defaults suit production.
struct RedisOptions {
  /// Prepended to every key; also names the pub/sub channel (prefix + "invalidate")
  /// and the generation counter (prefix + "generation").
  std::string prefix = "emporium:cache:";
  /// Connections kept open at most; a call waits up to command_timeout for a free one.
  std::size_t pool_size = 4;
  std::chrono::milliseconds connect_timeout{100};
  /// Per Redis command (send or receive).
  std::chrono::milliseconds command_timeout{50};
  /// Redis (and the subscriber's reconnection) waits this long after a failure,
  /// doubling on each failed retry up to max_backoff.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
};

struct Options {
  /// L4 budget, counting keys, bodies and ETags.
  std::size_t l4_max_bytes = std::size_t{256} << 20U;
  /// L4 shards, each with its own lock and an equal share of l4_max_bytes.
  std::size_t shards = 16;
  TtlTable ttls;
  /// redis://[[user]:password@]host[:port][/db]; no L3 and no cross-process
  /// invalidation when unset.
  std::optional<std::string> redis_url;
  RedisOptions redis;
  /// The time for L4 TTLs; steady_clock::now when empty (tests inject one).
  ClockFn clock;
};

/// Counters since construction, and the current gauges.
struct CacheStats {
  std::uint64_t l4_hits = 0;
  std::uint64_t l4_misses = 0;
  std::uint64_t l3_hits = 0;
  std::uint64_t l3_misses = 0;
  /// L4 entries dropped to make room.
  std::uint64_t evictions = 0;
  /// getOrLoad calls that waited for another caller's load of the same key.
  std::uint64_t coalesced = 0;
  /// Loader calls (including ones that threw).
  std::uint64_t loads = 0;
  /// Redis operations that failed or were skipped because Redis was down, slow or busy.
  std::uint64_t redis_errors = 0;
  /// Keys invalidated here or by another process (as heard over pub/sub).
  std::uint64_t invalidations = 0;
  std::size_t l4_bytes = 0;
  std::size_t l4_entries = 0;
  std::uint64_t generation = 0;
  /// Both false without a Redis URL.
  bool redis_up = false;
  bool subscriber_up = false;
};

/// The tiered cache. Thread-safe; owns its subscriber thread.
class TieredCache {
 public:
  /// Throws std::invalid_argument for a malformed redis_url. With Redis: reads
  /// the generation (bounded by the timeouts; an unreachable Redis is not an
  /// error) and starts the subscriber thread.
  explicit TieredCache(Options options);
  /// Stops and joins the subscriber (within about 100 ms).
  ~TieredCache();
  TieredCache(const TieredCache&) = delete;
  TieredCache& operator=(const TieredCache&) = delete;

  /// L4 only; never blocks on I/O, so it is safe on an event loop. Counts hits
  /// only: a miss is counted by the getOrLoad that follows it.
  std::shared_ptr<const Entry> peekLocal(std::string_view key) const;

  /// L4, then L3, then load() (its return value is the body; the ETag is
  /// makeEtag(body)). What came from L3 is stored in L4, what came from load()
  /// in both, with kind's TTLs. Concurrent calls for a cold key are coalesced:
  /// one runs load(), the others wait for its result. If load() throws, every
  /// one of them gets that exception and nothing is stored. A value loaded
  /// while the key was invalidated is returned but not stored. Blocking: call
  /// it off the event loops.
  std::shared_ptr<const Entry> getOrLoad(std::string_view key, Kind kind,
                                         const std::function<std::string()>& load);

  /// Drops keys from L4 and, with Redis, DELs them there and tells other
  /// processes to drop them too; done for this process and Redis on return,
  /// or, when Redis fails, kept and sent again once it answers.
  void invalidate(std::span<const std::string> keys);

  /// The listing generation: callers put it in listing keys, so a bump makes
  /// every older listing key unreachable everywhere.
  std::uint64_t generation() const;
  /// Raises the generation: with Redis, in Redis (INCR) and then in every
  /// process (which adopt the highest value they hear); without it or while
  /// it is down, in this process now and in Redis once it answers.
  void bumpGeneration();

  /// Drops every L4 entry (and lets no load in flight store its value).
  void clearLocal();

  CacheStats stats() const;
  /// emporium_cache_* counters and gauges.
  void collect(metrics::Exposition& out) const;

 private:
  void dropLocal(std::span<const std::string> keys);
  void adoptGeneration(std::uint64_t seen);
  void onSubscribed();
  void onMessage(std::string_view payload);
  void retryPending();
  std::string generationMessagePrefix() const;
  std::shared_ptr<const Entry> loadAsLeader(std::string_view key, const Ttls& ttls,
                                            const detail::Flight& flight,
                                            const std::function<std::string()>& load);

  Options options_;
  std::string origin_;  // tags this instance's messages, so it skips its own
  mutable LruCache l4_;
  std::unique_ptr<detail::Flights> flights_;
  std::unique_ptr<detail::RedisTier> redis_;
  std::unique_ptr<detail::PendingInvalidations> pending_;
  // When retryPending last reached for Redis; only the subscriber's thread retries.
  std::chrono::steady_clock::time_point last_retry_{};

  std::atomic<std::uint64_t> generation_{0};

  mutable std::atomic<std::uint64_t> l4_hits_{0};
  std::atomic<std::uint64_t> l4_misses_{0};
  std::atomic<std::uint64_t> l3_hits_{0};
  std::atomic<std::uint64_t> l3_misses_{0};
  std::atomic<std::uint64_t> coalesced_{0};
  std::atomic<std::uint64_t> loads_{0};
  std::atomic<std::uint64_t> invalidations_{0};

  // Last: started after everything it calls back into, stopped before it goes.
  std::unique_ptr<detail::InvalidationSubscriber> subscriber_;
};

}  // namespace emporium::cache
