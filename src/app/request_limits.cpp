#include "app/request_limits.hpp"

#include <cmath>

#include "core/http/api_error.hpp"
#include "core/http/request.hpp"

namespace emporium::app {

void ClientRequestLimit::check(const http::Request& req, const http::Route&) const {
  const auto decision = limiter_.take("ip:" + std::string(req.client_ip), limit_);
  if (decision.allowed) return;
  const auto seconds = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(
             std::ceil(static_cast<double>(decision.retry_after.count()) / 1000.0)));
  http::ApiError e(
      429, "rate-limited", "Too Many Requests",
      "request rate limit exceeded for this client; retry in " + std::to_string(seconds) + " s");
  e.headers().emplace_back("Retry-After", std::to_string(seconds));
  throw e;
}

}  // namespace emporium::app
