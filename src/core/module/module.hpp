#pragma once
// A service as the composition root sees it: a name, what it serves over HTTP,
// the event consumers it runs, its metrics and readiness checks, and the work
// it starts and stops. app/module_table builds the modules a --target needs
// and drives them through this interface alone, so adding a service edits one
// row of that table, not the start-up code.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/consumer.hpp"
#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "core/metrics/exposition.hpp"

namespace emporium::module {

/// One dependency /readyz checks: check() throws when it is not usable.
struct ReadinessCheck {
  std::string name;
  std::function<void()> check;
  /// Whether the instance is unready while this one is down. A dependency
  /// every instance shares and only some requests need (the card provider)
  /// is reported but not critical: taking each instance out of the load
  /// balancer would stop browsing and cash orders too, and cure nothing.
  bool critical = true;
  /// Extra state for the body, e.g. the breaker's; "" when none.
  std::function<std::string()> state;
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = delete;
  Module& operator=(Module&&) = delete;

  /// The module table's row name ("catalog", "orders", ...).
  virtual std::string_view name() const = 0;
  /// The public routes; called once, before the server starts.
  virtual void addRoutes(http::Router& /*router*/) {}
  /// The internal routes other services' remote clients call
  /// (/internal/v1/<service>/...), each requiring `credential`; called once,
  /// before the server starts, and only when the deployment has one.
  virtual void addInternalRoutes(http::Router& /*router*/,
                                 const http::ServiceCredential& /*credential*/) {}
  /// The event consumers this service runs (each a queue on RabbitMQ).
  virtual std::vector<events::Consumer> consumers() { return {}; }
  /// Adds this service's samples to a /metrics scrape; called concurrently
  /// with requests, so it only reads counters.
  virtual void collect(metrics::Exposition& /*out*/) const {}
  /// What /readyz checks besides the databases and shared servers.
  virtual std::vector<ReadinessCheck> checks() { return {}; }
  /// Starts background work (sweepers, reconcilers) once everything it may
  /// call is listening.
  virtual void start() {}
  /// Stops and drains that work; called in reverse table order, before any
  /// module is destroyed.
  virtual void stop() {}
};

}  // namespace emporium::module
