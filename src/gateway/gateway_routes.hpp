#pragma once
// The API gateway's routes (--target=gateway): every public path of
// route_table.hpp is forwarded to an instance of the service that owns it,
// over net::HttpClient (keep-alive, the caller's remaining budget, a breaker
// per instance). What the edge adds: a 503 problem with Retry-After at once
// when no instance of a service answers (a GET or a write the service
// deduplicates is tried on the next instance first), 504 when the deadline
// passes, CORS for configured origins, and security headers on every answer.
// Access tokens are still checked by the services themselves.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/api_error.hpp"
#include "core/http/auth.hpp"
#include "core/http/router.hpp"
#include "core/metrics/exposition.hpp"
#include "core/net/http_client.hpp"
#include "core/ratelimit/rate_limiter.hpp"

namespace emporium::gateway {

struct GatewayOptions {
  /// Base URLs ("http://127.0.0.1:9101") of each service's instances, by
  /// --target name; every service of route_table.hpp needs one at least.
  std::map<std::string, std::vector<std::string>, std::less<>> service_urls;
  /// Origins ("https://shop.example") whose browser pages may call the API.
  std::vector<std::string> cors_origins;
  /// The longest a forwarded request may take (less when the caller's
  /// budget is shorter).
  std::chrono::milliseconds upstream_timeout{10000};
  /// What a client is told to wait when a service is down.
  std::chrono::seconds retry_after{2};
};

/// Problems with the options, each naming the setting ("services.catalog.urls:
/// ..."); empty when they are usable.
std::vector<std::string> validate(const GatewayOptions& options);

class GatewayRoutes {
 public:
  /// Throws std::invalid_argument with validate()'s first problem.
  GatewayRoutes(GatewayOptions options, net::HttpClient& client);
  ~GatewayRoutes();
  GatewayRoutes(const GatewayRoutes&) = delete;
  GatewayRoutes& operator=(const GatewayRoutes&) = delete;

  void addRoutes(http::Router& router);
  /// emporium_gateway_requests_total{service,outcome}.
  void collect(metrics::Exposition& out) const;

  /// Forwards one request to `service` (public for tests).
  http::Response forward(http::Request& request, std::string_view service);

  /// Per-account request limits at the edge: a request whose bearer token
  /// `tokens` verifies takes from the account's bucket in `limiter` (shared
  /// through Redis when it is configured) and is answered 429 with
  /// Retry-After when it is empty. A token that does not verify, or keys
  /// that cannot be had, limit nothing here: the services answer for the
  /// token (public routes ignore a stale one, as the monolith does). Both
  /// outlive the routes.
  void limitAccounts(const http::Authenticator& tokens, ratelimit::RateLimiter& limiter,
                     ratelimit::Limit limit);

 private:
  struct Service;
  http::Response preflight(const http::Request& request) const;
  http::Response problem(const http::Request& request, const http::ApiError& error) const;
  /// The 429 for a signed-in account over its limit, or nullopt.
  std::optional<http::Response> accountRefusal(const http::Request& request);
  void decorate(const http::Request& request, http::Response& response) const;
  bool allowedOrigin(std::string_view origin) const;

  GatewayOptions options_;
  net::HttpClient& client_;
  struct AccountLimit {
    const http::Authenticator& tokens;
    ratelimit::RateLimiter& limiter;
    ratelimit::Limit limit;
  };
  std::optional<AccountLimit> account_limit_;
  std::atomic<std::uint64_t> account_refusals_{0};
  std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
};

}  // namespace emporium::gateway
