#include "app/sandbox_listener.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>
#include <utility>

#include "app/request_limits.hpp"
#include "core/ratelimit/local_rate_limiter.hpp"

namespace emporium::app {

SandboxListener::SandboxListener(sql::Database& db, SandboxListenerOptions options,
                                 const log::Logger& logger,
                                 const std::function<void(http::Router&)>& extra_routes)
    : options_(std::move(options)), module_(db, options_.secret) {
  if (extra_routes) extra_routes(router_);
  module_.addRoutes(router_, "/sandbox");
  // In process and per listener: the sandbox is one process's fake, and
  // its only limited route is tokenization.
  limiter_ = std::make_unique<ratelimit::LocalRateLimiter>();
  if (options_.limit_tokens) {
    token_limit_ = std::make_unique<ClientRequestLimit>(*limiter_, kSandboxTokenLimit);
  }
  metrics_ = std::make_unique<metrics::HttpMetrics>(router_);
  server_ = std::make_unique<net::HttpServer>(
      options_.server, router_, logger, *metrics_,
      http::DispatchContext{options_.translate, nullptr, token_limit_.get()});
}

SandboxListener::~SandboxListener() { stop(); }

void SandboxListener::start() { server_->start(); }

void SandboxListener::stop() { server_->stop(); }

std::uint16_t SandboxListener::port() const { return server_->port(); }

std::string SandboxListener::origin() const {
  const std::string& host = options_.server.host;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

std::string generateSandboxSecret() {
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, bytes.size() * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return {hex.data(), bytes.size() * 2};
}

std::string sandboxSecret(const std::string& configured, const log::Logger& logger) {
  if (!configured.empty()) return configured;
  std::string secret = generateSandboxSecret();
  logger.warn(
      "no payments.sandbox_secret (EMPORIUM_SANDBOX_SECRET) set: generated one for this run",
      {{"sandbox_secret", secret}});
  return secret;
}

}  // namespace emporium::app
