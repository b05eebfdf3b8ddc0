#pragma once
// CardProvider over HTTP (libcurl): JSON requests with an Idempotency-Key
// header, connect and total timeouts, retries of transient failures with
// backoff and full jitter, and a circuit breaker. The same idempotency key is
// sent on every attempt, so a retry after a lost response never charges twice.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/resilience/backoff.hpp"
#include "core/resilience/breaker.hpp"
#include "services/payments/provider/card_provider.hpp"

namespace emporium::payments {

/// The provider's breaker under its old name, for the wiring in app/ until
/// the module table takes it over.
using CircuitBreaker = resilience::Breaker;

/// How many times a transient provider failure is tried in all and how long to
/// wait in between (exponential backoff with full jitter).
struct RetryOptions {
  int max_attempts = 4;  // tries in all, the first included
  std::chrono::milliseconds base{50};
  std::chrono::milliseconds cap{1000};
};

/// The backoff of `retry`: full jitter, so that buyers failing together do not
/// come back in lockstep and knock the provider over again.
resilience::Backoff retryBackoff(const RetryOptions& retry,
                                 resilience::UniformRandom random = resilience::randomUpTo);

/// The longest a call to the provider can take under `retry` when each attempt
/// may run for per_attempt: every attempt times out and every wait is its ceiling.
std::chrono::milliseconds worstCase(const RetryOptions& retry,
                                    std::chrono::milliseconds per_attempt);

struct HttpCardProviderOptions {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds total_timeout{3000};  // per attempt
  RetryOptions retry;
  /// Opens after 5 consecutive transient failures, for a fixed 5 s each time.
  resilience::BreakerOptions breaker{5, std::chrono::milliseconds(5000),
                                     std::chrono::milliseconds(5000)};
  /// Sent as `Authorization: Bearer <secret>` when not empty: the provider's
  /// secret key (the sandbox's secret).
  std::string secret;
};

/// What HttpCardProvider needs from the outside world, injectable for tests.
struct HttpCardProviderHooks {
  /// Waits between attempts.
  std::function<void(std::chrono::milliseconds)> sleep;
  resilience::UniformRandom random = resilience::randomUpTo;
  CircuitBreaker::Clock clock = [] { return std::chrono::steady_clock::now(); };
};

class HttpCardProvider final : public CardProvider {
 public:
  /// The provider's base URL ("http://127.0.0.1:8080/sandbox"), asked on each
  /// call: the all-in-one process learns its own port only after it starts.
  using BaseUrl = std::function<std::string()>;

  HttpCardProvider(BaseUrl base_url, const HttpCardProviderOptions& options,
                   HttpCardProviderHooks hooks = {});

  ProviderCharge charge(const std::string& token, std::int64_t amount, const std::string& currency,
                        const std::string& idempotency_key, const std::string& customer) override;
  ProviderRefund refund(const std::string& charge_idempotency_key,
                        const std::string& refund_idempotency_key, std::int64_t amount) override;
  /// GET /v1/charges?idempotency_key=K, once, outside the breaker (a
  /// background check must not open it for the buyers' charges).
  ProviderChargeState chargeState(const std::string& charge_idempotency_key) override;

  /// For /metrics and readiness.
  CircuitBreaker::Snapshot breaker() const { return breaker_.snapshot(); }

  /// One HTTP exchange as seen by the retry loop.
  struct Exchange {
    bool transport_ok = false;  // false: no response (connect error, timeout)
    long status = 0;
    std::string body;
    std::string error;  // curl's message when !transport_ok
  };

 private:
  /// One exchange: a POST of json_body with the Idempotency-Key header, or
  /// a GET when json_body is nullopt.
  Exchange send(const std::string& path, const std::optional<std::string>& json_body,
                const std::string& idempotency_key) const;
  /// Runs post() with retries and the breaker; returns the last exchange,
  /// or one with transport_ok == false and error "circuit open".
  Exchange postWithRetries(const std::string& path, const std::string& json_body,
                           const std::string& idempotency_key);

  BaseUrl base_url_;
  HttpCardProviderOptions options_;
  HttpCardProviderHooks hooks_;
  resilience::Backoff backoff_;
  CircuitBreaker breaker_;
};

/// True for an exchange worth retrying: no response, 5xx, 408 or 429.
bool isTransient(const HttpCardProvider::Exchange& exchange);

}  // namespace emporium::payments
