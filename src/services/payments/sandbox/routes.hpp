#pragma once
// The sandbox card processor's HTTP API, on a listener of its own (never the
// shop's router):
//   POST {prefix}/v1/tokens    tokenize a card: public, as at a real provider
//                              (browsers tokenize there), rate limited per
//                              client address by the listener; tokens expire
//   POST {prefix}/v1/charges   charge a token (Idempotency-Key required)
//   POST {prefix}/v1/refunds   refund a charge by its idempotency key
//   GET  {prefix}/v1/charges   list charges (?idempotency_key=K), each with
//                              `refunded` and `refund_id` (null when not refunded)
//   GET/POST {prefix}/v1/control  fault injection for tests
// Every route but tokens needs the sandbox secret (`Authorization: Bearer
// <secret>`), as a provider's secret key: else 401.
// Its errors are problem documents with a `code` member, as card processors
// answer: 402 card_declined / insufficient_funds, 404 invalid_token /
// no_such_charge, 503 unavailable; bad input is a 400 naming the field.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/http/router.hpp"
#include "services/payments/domain/card.hpp"
#include "services/payments/sandbox/control.hpp"
#include "services/payments/sandbox/sandbox_store.hpp"

namespace emporium::payments::sandbox {

/// How long a card token can be charged after it was made; unused tokens are
/// purged after that.
inline constexpr std::chrono::seconds kDefaultTokenTtl{15 * 60};

struct SandboxApi {
  SandboxStore& store;
  Control& control;
  /// What `Authorization: Bearer` must carry on every route but tokens; never empty.
  std::string secret;
  std::chrono::seconds token_ttl = kDefaultTokenTtl;
  /// Now, for token expiry (injectable in tests).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  /// The current month, for expiry checks (injectable in tests).
  std::function<YearMonth()> today = currentUtcMonth;
  /// Waits the injected latency.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// Registers the routes under prefix ("/sandbox"); api must outlive the router.
void addSandboxRoutes(http::Router& router, const SandboxApi& api,
                      std::string_view prefix = "/sandbox");

}  // namespace emporium::payments::sandbox
