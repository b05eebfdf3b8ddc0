#include "core/ratelimit/local_rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace emporium::ratelimit {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

// Past this a wait is as good as forever, and converting it to a duration could overflow.
constexpr double kMaxWaitSeconds = 1e9;

struct Bucket {
  double tokens;
  TimePoint last;     // when tokens was last brought up to date
  TimePoint full_at;  // from then on the bucket is full again and may be forgotten
};

std::chrono::milliseconds retryAfter(double tokens, const Limit& limit) {
  if (limit.refill_per_second <= 0 || limit.capacity < 1) return kRetryNever;
  const double ms = std::ceil((1.0 - tokens) * 1000.0 / limit.refill_per_second);
  if (!(ms <= kMaxWaitSeconds * 1000.0)) return kRetryNever;  // also NaN
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(ms)));
}

TimePoint fullAt(double tokens, const Limit& limit, TimePoint now) {
  if (tokens >= limit.capacity) return now;
  if (limit.refill_per_second <= 0) return TimePoint::max();
  const double seconds = (limit.capacity - tokens) / limit.refill_per_second;
  if (!(seconds <= kMaxWaitSeconds)) return TimePoint::max();  // also NaN
  return now + std::chrono::ceil<TimePoint::duration>(std::chrono::duration<double>(seconds));
}

Decision takeToken(Bucket& bucket, const Limit& limit, TimePoint now) {
  if (now > bucket.last) {
    if (limit.refill_per_second > 0) {
      const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
      bucket.tokens += elapsed * limit.refill_per_second;
    }
    bucket.last = now;
  }
  // Also applies a capacity lowered since the last take.
  bucket.tokens = std::min(bucket.tokens, limit.capacity);
  Decision decision{false, std::chrono::milliseconds(0), 0};
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    decision.allowed = true;
  } else {
    decision.retry_after = retryAfter(bucket.tokens, limit);
  }
  decision.remaining = std::max(0.0, bucket.tokens);
  bucket.full_at = fullAt(bucket.tokens, limit, now);
  return decision;
}

}  // namespace

struct LocalRateLimiter::Shard {
  struct Entry {
    std::string key;
    Bucket bucket;
  };

  std::mutex mutex;
  // Most recently used first. List nodes never move, so the index can view their keys.
  std::list<Entry> lru;
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;

  void dropLeastRecentlyUsed() {
    index.erase(lru.back().key);
    lru.pop_back();
  }
};

LocalRateLimiter::LocalRateLimiter(Clock clock, LocalRateLimiterOptions options)
    : clock_(std::move(clock)),
      max_buckets_per_shard_(std::max<std::size_t>(1, options.max_buckets_per_shard)) {
  const std::size_t shards = std::max<std::size_t>(1, options.shards);
  shards_.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

LocalRateLimiter::~LocalRateLimiter() = default;

LocalRateLimiter::Shard& LocalRateLimiter::shardFor(std::string_view key) const {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

Decision LocalRateLimiter::take(std::string_view key, const Limit& limit) {
  Shard& shard = shardFor(key);
  const std::lock_guard lock(shard.mutex);
  // Read under the lock so that time never runs backwards for a bucket.
  const TimePoint now = clock_();
  if (const auto found = shard.index.find(key); found != shard.index.end()) {
    shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
  } else {
    while (shard.index.size() >= max_buckets_per_shard_) shard.dropLeastRecentlyUsed();
    shard.lru.push_front({std::string(key), Bucket{limit.capacity, now, now}});
    shard.index.emplace(shard.lru.front().key, shard.lru.begin());
  }
  const Decision decision = takeToken(shard.lru.front().bucket, limit, now);
  // The sweep: full buckets gather at the cold end of the list. Each bucket is dropped at
  // most once, so this costs O(1) per take on average and needs no timer. A bucket that
  // refills slowly can shelter faster ones behind it for a while; the cap bounds that.
  while (shard.lru.size() > 1 && shard.lru.back().bucket.full_at <= now) {
    shard.dropLeastRecentlyUsed();
  }
  return decision;
}

std::size_t LocalRateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    const std::lock_guard lock(shard->mutex);
    total += shard->index.size();
  }
  return total;
}

}  // namespace emporium::ratelimit
