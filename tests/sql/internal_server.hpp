#pragma once
// A service's internal routes served on a loopback port, for the contract
// suites' Remote subjects (RemoteClient -> real HTTP -> internal routes ->
// the real service on a real database) and the internal routes' own tests.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"
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

}  // namespace emporium::sql::test
