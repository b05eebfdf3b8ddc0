#pragma once
// Rate limits as token buckets, kept in process or shared through Redis.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::ratelimit {

/// A token bucket: `capacity` requests at once, refilled at `refill_per_second`.
/// A bucket seen for the first time starts full.
struct Limit {
  double capacity;
  double refill_per_second;
};

/// retry_after of a refusal that waiting cannot cure: the bucket never refills
/// (refill_per_second <= 0) or can never hold a whole token (capacity < 1).
inline constexpr std::chrono::milliseconds kRetryNever = std::chrono::milliseconds::max();

/// The answer to one take().
struct Decision {
  bool allowed;
  /// 0 when allowed; otherwise how long until a token is back (rounded up), or kRetryNever.
  std::chrono::milliseconds retry_after;
  /// Tokens left in the bucket after this take (fractional; floor it for a header).
  double remaining;
};

/// Named token buckets. Implementations are thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  /// Takes one token from the bucket named key (thread-safe). Never throws for a backend failure.
  virtual Decision take(std::string_view key, const Limit& limit) = 0;
};

/// A RedisRateLimiter (buckets shared by every instance) when redis_url is set, else a
/// LocalRateLimiter. Throws std::invalid_argument for a malformed URL; an unreachable
/// server is not an error (takes fall back to in-process buckets until it answers).
std::unique_ptr<RateLimiter> makeRateLimiter(const std::optional<std::string>& redis_url);

}  // namespace emporium::ratelimit
