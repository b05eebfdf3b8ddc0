#pragma once
// A service's internal routes served on a loopback port, for the contract
// suites' Remote subjects (RemoteClient -> real HTTP -> internal routes ->
// the real service on a real database: RemoteSubject) and the internal
// routes' own tests.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/http_client.hpp"
#include "core/net/server.hpp"

namespace emporium::sql::test {

class InternalServer {
 public:
  /// `mount` adds the routes (e.g. inventory::addInternalRoutes bound to a
  /// service and a credential, both outliving the server). `blocking_threads`
  /// and `trust_budget_header` as net::ServerOptions has them.
  explicit InternalServer(const std::function<void(http::Router&)>& mount,
                          std::size_t blocking_threads = 2, bool trust_budget_header = false) {
    mount(router_);
    metrics_ = std::make_unique<metrics::HttpMetrics>(router_);
    net::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.blocking_threads = blocking_threads;
    options.trust_budget_header = trust_budget_header;
    options.access_log = false;
    server_ = std::make_unique<net::HttpServer>(options, router_, logger_, *metrics_);
    server_->start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void stop() { server_->stop(); }

 private:
  log::Logger logger_{log::Level::kError};
  http::Router router_;
  std::unique_ptr<metrics::HttpMetrics> metrics_;
  std::unique_ptr<net::HttpServer> server_;
};

/// The service credential of the contract suites' Remote subjects.
inline constexpr std::string_view kContractSecret = "contract-suites-service-credential-0123456789";

/// A contract suite's Remote subject: `Local` (a subject with unavailable(),
/// start() and client()) behind its service's internal routes on a loopback
/// server, called through `RemoteClient` over real HTTP. The service's
/// addInternalRoutes is found by argument-dependent lookup on the type
/// Local's client() returns (inventory::Client -> inventory::addInternalRoutes).
template <class Local, class RemoteClient>
class RemoteSubject {
 public:
  static std::optional<std::string> unavailable() { return Local::unavailable(); }

  void start() {
    local_.start();
    server_ = std::make_unique<InternalServer>(
        [this](http::Router& router) { addInternalRoutes(router, local_.client(), credential_); });
    remote_ = std::make_unique<RemoteClient>(http_, std::vector<std::string>{server_->url()},
                                             std::string(kContractSecret));
  }

  RemoteClient& client() { return *remote_; }
  /// The subject behind the routes, for the suite's set-up helpers.
  Local& local() { return local_; }

 private:
  Local local_;  // first: outlives the server that calls it
  http::ServiceCredential credential_{std::string(kContractSecret)};
  std::unique_ptr<InternalServer> server_;
  net::HttpClient http_;
  std::unique_ptr<RemoteClient> remote_;
};

}  // namespace emporium::sql::test
