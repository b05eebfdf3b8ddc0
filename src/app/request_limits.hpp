#pragma once

#include "core/http/auth.hpp"
#include "core/ratelimit/rate_limiter.hpp"

namespace emporium::app {

/// The general limit: every rate-limited route counts against one bucket
/// per client address (shared through Redis when it is configured).
class ClientRequestLimit final : public http::RequestLimiter {
 public:
  ClientRequestLimit(ratelimit::RateLimiter& limiter, ratelimit::Limit limit)
      : limiter_(limiter), limit_(limit) {}
  void check(const http::Request& req, const http::Route& route) const override;

 private:
  ratelimit::RateLimiter& limiter_;
  ratelimit::Limit limit_;
};

}  // namespace emporium::app
