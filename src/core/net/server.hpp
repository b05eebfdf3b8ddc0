#pragma once
// The HTTP/1.1 server. Boost.Beast/Asio live only in server.cpp,
// connection.cpp and their private server_impl.hpp: this header is cheap to
// include.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/http/dispatch.hpp"
#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"

namespace emporium::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;                      // 0 picks a free port (tests)
  std::size_t threads = 0;                        // event loops; 0 = one per core
  std::size_t blocking_threads = 0;               // pool for blocking handlers; 0 = 4 per core
  std::size_t max_body_bytes = 1 << 20;           // larger bodies get 413
  std::size_t max_header_bytes = 16384;           // larger headers get 431
  std::chrono::milliseconds read_timeout{10000};  // a whole request, from its first byte
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive wait for the next request
  /// A new connection's whole request header must arrive this soon after
  /// accept (a later request's, this soon after its first byte): sockets
  /// that never send a request cannot hold a slot for idle_timeout.
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds shutdown_grace{10000};  // drain limit on stop()
  std::size_t max_connections = 10000;              // more are closed at once
  /// Connections one client address may hold; 0: a quarter of
  /// max_connections (at least 1), so one address cannot take every slot.
  /// Not applied with trust_forwarded_for: every connection then comes from
  /// the proxy, which caps its clients itself.
  std::size_t max_connections_per_address = 0;
  bool access_log = true;
  /// Take the client address from the last X-Forwarded-For entry (set this
  /// only behind a proxy that appends it, such as deploy/nginx).
  bool trust_forwarded_for = false;
  /// Honour X-Emporium-Budget-Ms (http::kBudgetHeader): a request's
  /// deadline() becomes the caller's budget, capped by read_timeout, and a
  /// budget already spent is answered 503 without running the handler. Only
  /// for listeners that our own services and gateway call: on a public one a
  /// client could turn its own header into a 5xx. Without it every request's
  /// deadline() is its arrival plus read_timeout.
  bool trust_budget_header = false;
};

/// Runs one event loop per thread; connections are spread round-robin.
/// Handlers marked Execution::kBlocking run on a separate pool.
class HttpServer {
 public:
  HttpServer(ServerOptions options, const http::Router& router, const log::Logger& logger,
             metrics::HttpMetrics& metrics, http::DispatchContext dispatch = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts serving. Throws std::runtime_error naming the address
  /// when it cannot listen.
  void start();
  /// The bound port (after start()).
  std::uint16_t port() const;
  /// Graceful stop: stops accepting, closes idle keep-alive connections,
  /// lets in-flight requests finish (up to shutdown_grace), then joins every
  /// thread. Idempotent; also called by the destructor.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emporium::net
