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
#include <string>
#include <string_view>
#include <vector>

#include "core/http/api_error.hpp"
#include "core/http/router.hpp"
#include "core/metrics/exposition.hpp"
#include "core/net/http_client.hpp"

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

 private:
  struct Service;
  http::Response preflight(const http::Request& request) const;
  http::Response problem(const http::Request& request, const http::ApiError& error) const;
  void decorate(const http::Request& request, http::Response& response) const;
  bool allowedOrigin(std::string_view origin) const;

  GatewayOptions options_;
  net::HttpClient& client_;
  std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
};

}  // namespace emporium::gateway
