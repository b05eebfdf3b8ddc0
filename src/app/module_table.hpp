#pragma once
// The composition root as a table: one row per service, naming the services
// it needs in process, its databases and how to build its module. A
// --target picks rows; `serve` builds only those, in table order, handing
// each the contracts of the rows built before it (no service locator).

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/event_wiring.hpp"
#include "app/sandbox_listener.hpp"
#include "app/services.hpp"
#include "core/config/config.hpp"
#include "core/events/activity_log.hpp"
#include "core/http/auth.hpp"
#include "core/http/dispatch.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"
#include "core/module/module.hpp"
#include "core/net/http_client.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "services/cart/client.hpp"
#include "services/catalog/client.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/payments/client.hpp"
#include "services/payments/payments_service.hpp"
#include "services/users/client.hpp"

namespace emporium::app {

/// The contracts of the rows built so far: each row's make fills its own
/// slot, so a row finds those of the rows it needs (earlier in the table).
struct Peers {
  users::Client* users = nullptr;
  /// The users service's access-token check, which every row with
  /// authenticated routes needs: its key ring in process, or its JWKS when
  /// the users service is another process's.
  const http::Authenticator* authenticator = nullptr;
  inventory::Client* inventory = nullptr;
  catalog::Client* catalog = nullptr;
  cart::Client* carts = nullptr;
  payments::Client* payments = nullptr;
};

/// The one call that runs against the table's order: inventory's admin
/// routes ask the catalog which SKUs it sells, and the catalog needs
/// inventory, so it is built after it. The catalog row sets the link, or,
/// when another process serves the catalog, its remote row does (inventory
/// `reaches` catalog); empty without either. (The catalog's in-stock mirror
/// and the provider refunds went away from here: they are events now,
/// stock.changed and payment.refunded_at_provider.)
struct BackLinks {
  catalog::Client* catalog = nullptr;  // inventory's admin routes: SKUs sold
};

/// What every row's make gets besides its peers; all of it outlives the modules.
struct Env {
  const config::Config& config;
  const log::Logger& logger;
  const Databases& databases;
  const EventSources& events;
  /// Null unless a selected row records activity (lists the "activity" database).
  events::ActivityLog* activity;
  ratelimit::RateLimiter& limiter;
  /// Started by the payments row when no provider URL is configured.
  std::optional<SandboxListener>& sandbox;
  BackLinks& links;
  /// What remote rows call their service's instances with (keep-alive pool,
  /// breaker per instance).
  net::HttpClient& http;
};

/// A consumer's queue as RabbitMQ knows it: declared, with its bindings, by
/// every process that publishes, so no event is lost for a consumer whose
/// process has not started yet.
struct ConsumerQueue {
  std::string_view name;
  std::span<const std::string_view> patterns;
};

struct Row {
  std::string_view name;
  /// Rows built before this one in the same process (their contracts).
  std::span<const std::string_view> needs;
  std::span<const ServiceInfo> databases;
  bool routes;  // serves HTTP routes (selected by `api`)
  /// The event consumers it runs (selected by `worker`); none: empty.
  std::span<const ConsumerQueue> consumers;
  /// Refuses (throws std::invalid_argument) options that cannot work, before
  /// any database opens; null when there is nothing to check.
  void (*validate_options)(const config::Config&);
  std::unique_ptr<module::Module> (*make)(Env&, Peers&);
  /// Fills the row's Peers slot with a client of the service's instances
  /// over HTTP (its internal routes) instead of building it: a row another
  /// process serves. Null while the service has no remote client.
  std::unique_ptr<module::Module> (*connect)(Env&, Peers&) = nullptr;
  /// Rows it asks through a back link (BackLinks) when they are built after
  /// it in this process; when another process serves one, it is connected
  /// (reached over HTTP) instead, but never built for this row's sake.
  std::span<const std::string_view> reaches = {};
};

/// Every service this binary carries, each after the rows it needs.
std::span<const Row> moduleTable();

/// What a --target runs.
struct Selection {
  std::vector<const Row*> rows;    // built, in table order
  std::vector<const Row*> remote;  // needed, reached over HTTP (Row::connect), in table order
  std::vector<const Row*> active;  // whose routes, consumers and background work run here
  bool routes = true;              // serve the active rows' routes
  bool consumers = true;           // run the active rows' consumers
  bool relay = true;               // publish the outboxes (RabbitMQ) or dispatch in process
  bool background = true;          // start() the active rows
};

/// The modes that are not rows: every row; the rows with routes; the rows
/// with consumers; the payment sandbox alone; the API gateway, which builds
/// no row and calls the services' instances over HTTP.
inline constexpr std::array<std::string_view, 5> kModes{"all", "api", "worker", "payment-sandbox",
                                                        "gateway"};
/// Named targets that are not built yet, refused with why (none today).
struct FutureTarget {
  std::string_view name;
  std::string_view why;
};
inline constexpr std::array<FutureTarget, 0> kFutureTargets{};

/// Every valid --target: the modes, then the rows.
std::vector<std::string> targetNames();
/// One line per target for `emporium serve --help`.
std::string targetHelp();

/// The rows `target` builds: its own and, transitively, those it needs (a
/// mode: see kModes). A needed row named in `reachable` (which has a
/// connect) is not built: it goes to Selection::remote, and its own needs are
/// not followed. Throws std::invalid_argument for an unknown target and for
/// payment-sandbox (no rows).
Selection select(std::string_view target, std::span<const std::string> reachable = {});
/// The rows this configuration reaches over HTTP when another process serves
/// them: those with a connect, `[services.<name>] urls` and the service
/// credential (`[services] internal_secret`).
std::vector<std::string> reachableServices(const config::Config& config);
std::vector<const Row*> rowsFor(std::string_view target);
/// Every row's consumer queues, for declaring them before publishing.
std::vector<QueueTopology> consumerQueues();

/// The databases of `rows`, each once, in table order.
std::vector<std::string_view> databasesOf(std::span<const Row* const> rows);

/// Lower layers' exceptions that mean "try again later", not "bug".
std::optional<http::ApiError> translateError(const std::exception& e);

}  // namespace emporium::app
