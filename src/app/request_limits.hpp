#pragma once

#include "core/http/auth.hpp"
#include "core/ratelimit/rate_limiter.hpp"

namespace emporium::app {

/// The general limit: every rate-limited route counts against one bucket
/// per client address (shared through Redis when it is configured).
class ClientRequestLimit final : public http::RequestLimiter {
 public:
  ClientRequestLimit(ratelimit::RateLimiter& limiter, ratelimit::Limit limit);
  void check(const http::Request& req, const http::Route& route) const override;
  /// True when the buckets live in Redis (a network round trip per check).
  bool mayBlock() const override { return shared_; }

 private:
  ratelimit::RateLimiter& limiter_;
  ratelimit::Limit limit_;
  bool shared_;
};

}  // namespace emporium::app
