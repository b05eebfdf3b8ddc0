#pragma once
// Token buckets in this process's memory: exact for one instance, and the
// fallback of RedisRateLimiter while Redis does not answer.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/ratelimit/rate_limiter.hpp"

namespace emporium::ratelimit {

/// How a LocalRateLimiter spreads and bounds its buckets.
struct LocalRateLimiterOptions {
  /// Independent locks; keys are spread over them by hash.
  std::size_t shards = 16;
  /// Hard cap per shard (~150 bytes a bucket). Past it the least recently used bucket is
  /// dropped, so a client rotating addresses cannot grow memory without bound; the price
  /// is that a dropped bucket starts full again if its key comes back.
  std::size_t max_buckets_per_shard = 8192;
};

/// In-process token buckets, sharded by key. A bucket that has refilled completely is
/// forgotten (it is indistinguishable from a new one), so idle keys cost nothing.
class LocalRateLimiter final : public RateLimiter {
 public:
  /// Must be callable from several threads at once.
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit LocalRateLimiter(Clock clock = &std::chrono::steady_clock::now,
                            LocalRateLimiterOptions options = {});
  ~LocalRateLimiter() override;
  LocalRateLimiter(const LocalRateLimiter&) = delete;
  LocalRateLimiter& operator=(const LocalRateLimiter&) = delete;

  /// Takes one token from the bucket named key (thread-safe, never throws but bad_alloc).
  Decision take(std::string_view key, const Limit& limit) override;

  /// Buckets held right now, over all shards.
  std::size_t size() const;

 private:
  struct Shard;

  Shard& shardFor(std::string_view key) const;

  Clock clock_;
  std::size_t max_buckets_per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace emporium::ratelimit
