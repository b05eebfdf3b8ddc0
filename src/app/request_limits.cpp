#include "app/request_limits.hpp"

#include "core/http/api_error.hpp"
#include "core/http/request.hpp"
#include "core/ratelimit/local_rate_limiter.hpp"

namespace emporium::app {

ClientRequestLimit::ClientRequestLimit(ratelimit::RateLimiter& limiter, ratelimit::Limit limit)
    : limiter_(limiter),
      limit_(limit),
      shared_(dynamic_cast<const ratelimit::LocalRateLimiter*>(&limiter) == nullptr) {}

void ClientRequestLimit::check(const http::Request& req, const http::Route&) const {
  const auto decision = limiter_.take("ip:" + std::string(req.client_ip), limit_);
  if (!decision.allowed) {
    throw http::ApiError::tooManyRequests(decision.retry_after,
                                          "request rate limit exceeded for this client");
  }
}

}  // namespace emporium::app
