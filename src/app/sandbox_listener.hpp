#pragma once
// The sandbox card provider on a listener of its own, never on the shop's
// router: `--target=payment-sandbox` serves it alone, and `serve` with no
// payments.provider_url starts it on a loopback-only port beside the shop so
// the embedded default takes cards with zero setup. Tokenization is public and
// limited per client address; every other route needs the sandbox secret.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/http/dispatch.hpp"
#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/server.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "core/sql/database.hpp"
#include "services/payments/sandbox/sandbox_module.hpp"

namespace emporium::app {

/// Card tokens one client address may make: a burst of 30, then 5 a second
/// (a shopper tokenizes one card per checkout).
inline constexpr ratelimit::Limit kSandboxTokenLimit{30, 5};

struct SandboxListenerOptions {
  net::ServerOptions server;  // host and port: where to listen
  std::string secret;         // required by every route but tokenization; not empty
  bool limit_tokens = true;   // false with EMPORIUM_RATE_LIMITS=off
  http::ErrorTranslator translate;
};

class SandboxListener {
 public:
  /// db: the "sandbox" database, migrated. `extra_routes` registers routes
  /// of the caller's on the same router (ops routes, for the stand-alone target).
  SandboxListener(sql::Database& db, SandboxListenerOptions options, const log::Logger& logger,
                  const std::function<void(http::Router&)>& extra_routes = {});
  ~SandboxListener();
  SandboxListener(const SandboxListener&) = delete;
  SandboxListener& operator=(const SandboxListener&) = delete;

  /// Binds and serves; throws std::runtime_error naming the address.
  void start();
  void stop();
  std::uint16_t port() const;
  /// "http://HOST:PORT" (after start()).
  std::string origin() const;
  /// origin() + "/sandbox": the provider base URL.
  std::string baseUrl() const { return origin() + "/sandbox"; }
  metrics::HttpMetrics& httpMetrics() { return *metrics_; }
  net::HttpServer& server() { return *server_; }
  payments::sandbox::SandboxModule& module() { return module_; }

 private:
  SandboxListenerOptions options_;
  payments::sandbox::SandboxModule module_;
  http::Router router_;
  std::unique_ptr<ratelimit::RateLimiter> limiter_;
  std::unique_ptr<http::RequestLimiter> token_limit_;
  std::unique_ptr<metrics::HttpMetrics> metrics_;
  std::unique_ptr<net::HttpServer> server_;
};

/// A random secret (64 hex digits), for when none is configured.
std::string generateSandboxSecret();

/// The sandbox secret: the configured one, else a random one for this run,
/// logged so that an operator (or a test) can use the sandbox's guarded routes.
std::string sandboxSecret(const std::string& configured, const log::Logger& logger);

}  // namespace emporium::app
