#pragma once
// The sandbox card processor's HTTP API (public, no Emporium auth):
//   POST {prefix}/v1/tokens    tokenize a card
//   POST {prefix}/v1/charges   charge a token (Idempotency-Key required)
//   POST {prefix}/v1/refunds   refund a charge by its idempotency key
//   GET  {prefix}/v1/charges   list charges (?idempotency_key=K)
//   GET/POST {prefix}/v1/control  fault injection for tests
// Its errors are problem documents with a `code` member, as card processors
// answer: 402 card_declined / insufficient_funds, 404 invalid_token /
// no_such_charge, 503 unavailable; bad input is a 400 naming the field.

#include <chrono>
#include <functional>
#include <string_view>

#include "core/http/router.hpp"
#include "services/payments/domain/card.hpp"
#include "services/payments/sandbox/control.hpp"
#include "services/payments/sandbox/sandbox_store.hpp"

namespace emporium::payments::sandbox {

struct SandboxApi {
  SandboxStore& store;
  Control& control;
  /// The current month, for expiry checks (injectable in tests).
  std::function<YearMonth()> today = currentUtcMonth;
  /// Waits the injected latency.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// Registers the routes under prefix ("/sandbox"); api must outlive the router.
void addSandboxRoutes(http::Router& router, const SandboxApi& api,
                      std::string_view prefix = "/sandbox");

}  // namespace emporium::payments::sandbox
