#include "core/ratelimit/rate_limiter.hpp"

#include "core/ratelimit/local_rate_limiter.hpp"
#include "core/ratelimit/redis_rate_limiter.hpp"

namespace emporium::ratelimit {

std::unique_ptr<RateLimiter> makeRateLimiter(const std::optional<std::string>& redis_url) {
  if (redis_url) return std::make_unique<RedisRateLimiter>(*redis_url);
  return std::make_unique<LocalRateLimiter>();
}

}  // namespace emporium::ratelimit
