#include <pthread.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <functional>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.hpp"
#include "app/consumers.hpp"
#include "app/event_wiring.hpp"
#include "app/ops_routes.hpp"
#include "app/port_file.hpp"
#include "app/request_limits.hpp"
#include "app/sandbox_listener.hpp"
#include "app/services.hpp"
#include "app/stock_sync.hpp"
#include "core/cache/tiered_cache.hpp"
#include "core/deps/probes.hpp"
#include "core/http/dispatch.hpp"
#include "core/json/writer.hpp"
#include "core/net/server.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "core/ratelimit/redis_rate_limiter.hpp"
#include "services/cart/cart_service.hpp"
#include "services/cart/http/routes.hpp"
#include "services/catalog/catalog_module.hpp"
#include "services/inventory/http/routes.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/orders/http/routes.hpp"
#include "services/orders/order_service.hpp"
#include "services/payments/payments_module.hpp"
#include "services/users/users_module.hpp"

namespace emporium::app {
namespace {

constexpr std::chrono::milliseconds kProbeTimeout{1000};
constexpr std::chrono::seconds kReservationSweepEvery{30};
constexpr std::chrono::hours kGuestCartPurgeEvery{1};

// Lower layers' exceptions that mean "try again later", not "bug".
std::optional<http::ApiError> translateError(const std::exception& e) {
  if (const auto* sql_error = dynamic_cast<const sql::Error*>(&e)) {
    if (sql_error->kind() == sql::ErrorKind::kConnection ||
        sql_error->kind() == sql::ErrorKind::kBusy) {
      http::ApiError api(503, "service-unavailable", "Service Unavailable",
                         "a database is unavailable or overloaded; retry shortly");
      api.headers().emplace_back("Retry-After", "1");
      return api;
    }
    if (sql_error->kind() == sql::ErrorKind::kInvalidValue) {
      return http::ApiError::badRequest("a value in the request cannot be stored or compared");
    }
  }
  return std::nullopt;
}

std::vector<ReadinessCheck> readinessChecks(const config::Config& config, const Databases& dbs) {
  std::vector<ReadinessCheck> checks;
  for (const auto& [name, db] : dbs) {
    sql::Database* database = db.get();
    checks.push_back({"database:" + name, [database] { database->ping(); }});
  }
  if (config.redis_url) {
    checks.push_back(
        {"redis", [url = *config.redis_url] { deps::probeRedis(url, kProbeTimeout); }});
  }
  if (config.amqp_url) {
    checks.push_back({"amqp", [url = *config.amqp_url] { deps::probeAmqp(url, kProbeTimeout); }});
  }
  if (config.smtp_url) {
    checks.push_back({"smtp", [url = *config.smtp_url] { deps::probeSmtp(url, kProbeTimeout); }});
  }
  return checks;
}

// The card provider as /readyz sees it: down while its breaker is not
// closed. Not critical (see ReadinessCheck::critical and the README).
ReadinessCheck paymentProviderCheck(const payments::PaymentsModule& module) {
  const auto state_name = [](payments::CircuitBreaker::State s) {
    switch (s) {
      case payments::CircuitBreaker::State::kClosed:
        return "closed";
      case payments::CircuitBreaker::State::kOpen:
        return "open";
      case payments::CircuitBreaker::State::kHalfOpen:
        return "half_open";
    }
    return "closed";
  };
  return {"payment_provider",
          [&module, state_name] {
            const auto b = module.breakerState();
            if (b && b->state != payments::CircuitBreaker::State::kClosed) {
              throw std::runtime_error(std::string("circuit breaker ") + state_name(b->state));
            }
          },
          /*critical=*/false,
          [&module, state_name]() -> std::string {
            const auto b = module.breakerState();
            if (!b) return {};
            json::Writer w;
            w.startObject()
                .member("breaker", state_name(b->state))
                .member("consecutive_failures", b->consecutive_failures)
                .endObject();
            return w.str();
          }};
}

// --ops-listen: the ops routes on a listener of their own, with metrics of
// their own (not rendered: the shop's are what operators chart).
struct OpsListener {
  OpsListener(const config::Config& config, const http::Router& router, const log::Logger& logger)
      : metrics(router), server(options(config), router, logger, metrics) {}
  static net::ServerOptions options(const config::Config& config) {
    net::ServerOptions o = config.http;
    o.host = *config.ops_listen_host;
    o.port = config.ops_listen_port;
    o.threads = 1;
    o.blocking_threads = 2;  // /readyz probes
    return o;
  }
  metrics::HttpMetrics metrics;
  net::HttpServer server;
};

void renderPoolMetrics(std::string& out, const Databases& dbs) {
  out += "# HELP emporium_db_pool_connections Database connections per service and state.\n";
  out += "# TYPE emporium_db_pool_connections gauge\n";
  for (const auto& [service, db] : dbs) {
    const auto stats = db->poolStats();
    const std::string& name = service;  // lambdas cannot capture structured bindings (clang 14)
    const auto line = [&](std::string_view state, std::size_t v) {
      out.append("emporium_db_pool_connections{service=\"").append(name);
      out.append("\",state=\"").append(state).append("\"} ").append(std::to_string(v)).append("\n");
    };
    line("open", stats.size);
    line("in_use", stats.in_use);
    line("waiting", stats.waiting);
  }
}

// Serves until SIGTERM/SIGINT, then drains in-flight requests. `listener` names
// the server's port in the port file; `other_ports` are listeners started
// before it (each already bound).
int serveUntilSignal(net::HttpServer& server, const config::Config& config,
                     const log::Logger& logger, const sigset_t& stop_signals,
                     std::string_view backend, const std::function<void()>& on_started,
                     std::string_view listener = "shop",
                     const std::vector<NamedPort>& other_ports = {}) {
  server.start();
  logger.info("emporium is serving",
              {{"url", "http://" + config.listen_host + ":" + std::to_string(server.port())},
               {"target", config.target},
               {"data_dir", config.data_dir},
               {"database", backend}});
  if (on_started) on_started();
  if (config.port_file) {
    // Last, once everything that answers requests has started: a port file
    // means "ready to be called".
    std::vector<NamedPort> ports{{std::string(listener), server.port()}};
    ports.insert(ports.end(), other_ports.begin(), other_ports.end());
    writePortFile(*config.port_file, ports);
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  logger.info("shutting down: draining in-flight requests",
              {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.stop();
  logger.info("stopped");
  logger.flush();
  return 0;
}

// The sandbox secret: the configured one, else a random one for this run,
// logged so that an operator (or a test) can use the sandbox's guarded routes.
std::string sandboxSecret(const config::Config& config, const log::Logger& logger) {
  if (!config.sandbox_secret.empty()) return config.sandbox_secret;
  std::string secret = generateSandboxSecret();
  logger.warn(
      "no payments.sandbox_secret (EMPORIUM_SANDBOX_SECRET) set: generated one for this run",
      {{"sandbox_secret", secret}});
  return secret;
}

// `--target=payment-sandbox`: only the sandbox card provider (and ops routes),
// on its own port, over its own database.
int serveSandbox(const config::Config& config, const log::Logger& logger,
                 const sigset_t& stop_signals) {
  constexpr std::array<std::string_view, 1> kOnly = {"sandbox"};
  const Databases databases = openDatabases(config, logger, kOnly);
  metrics::Registry registry;
  ReadinessCache readiness_cache;
  OpsContext ops{config.target,
                 config.postgres_url ? "postgresql" : "sqlite",
                 readinessChecks(config, databases),
                 &registry,
                 &readiness_cache,
                 config.metrics_token};
  SandboxListener sandbox(*databases.at("sandbox"),
                          SandboxListenerOptions{config.http, sandboxSecret(config, logger),
                                                 config.rate_limits_enabled, translateError},
                          logger, [&ops](http::Router& router) {
                            addOpsRoutes(router, ops);
                            addApiRoot(router, ops);
                          });
  registry.add([&sandbox](std::string& out) { sandbox.httpMetrics().render(out); });
  return serveUntilSignal(sandbox.server(), config, logger, stop_signals, ops.database_backend, {},
                          "sandbox");
}

orders::OrderOptions orderOptions(const config::Config& config) {
  orders::OrderOptions options;
  options.pricing =
      orders::PricingRules{config.orders_flat_shipping, config.orders_free_shipping_from,
                           config.orders_tax_basis_points};
  options.hold_for = config.orders_stock_hold;
  options.recover_after = config.orders_recover_after;
  // Look at least twice per recovery window, at most every 15 s.
  options.sweep_every = std::clamp(config.orders_recover_after / 2, std::chrono::milliseconds(100),
                                   std::chrono::milliseconds(15000));
  options.crash.at = config.test_crash_at;
  return options;
}

// Refuses (before anything starts) a sweeper that would take a checkout
// still charging for an abandoned one.
void validateOrderRecovery(const config::Config& config) {
  const auto provider = payments::providerOptions(config);
  orders::validateRecovery(config.orders_recover_after,
                           payments::worstCase(provider.retry, provider.total_timeout));
}

}  // namespace

int runServe(const config::Config& config) {
  // Signals go to the thread that sigwait()s below, never to a loop thread:
  // block them before any thread starts so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  log::Logger logger(config.log_level);
  if (config.target == "payment-sandbox") return serveSandbox(config, logger, stop_signals);
  validateOrderRecovery(config);
  const double start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const Databases databases = openDatabases(config, logger);

  metrics::Registry registry;
  ReadinessCache readiness_cache;
  OpsContext ops{config.target,
                 config.postgres_url ? "postgresql" : "sqlite",
                 readinessChecks(config, databases),
                 &registry,
                 &readiness_cache,
                 config.metrics_token};
  http::Router router;
  http::Router ops_router;  // --ops-listen
  if (config.ops_listen_host) {
    addOpsRoutes(ops_router, ops, MetricsAccess::kOpen);
  } else {
    addOpsRoutes(router, ops);
  }
  addApiRoot(router, ops);

  // Shared through Redis when it is configured, so every instance counts alike.
  const auto limiter = ratelimit::makeRateLimiter(config.redis_url);
  EventSources event_sources(databases);
  events::EventMetrics event_metrics;
  const auto activity = makeActivityLog(config, databases, logger);
  users::UsersModule users(*databases.at("users"), event_sources.outbox("users"), *limiter,
                           users::AuthLimits{.enabled = config.rate_limits_enabled},
                           keyEncryptionKey(config, logger));
  // --target=worker runs the event consumers and the ops endpoints only; the
  // services are still built, as the consumers call into them.
  const bool serves_api = config.target != "worker";
  if (serves_api) users.addRoutes(router);

  cache::TieredCache cache(catalogCacheOptions(config, databases));
  // Inventory owns stock; the catalog mirrors it for its in-stock filters.
  // Each needs the other, so the catalog reaches inventory through this slot.
  std::unique_ptr<inventory::InventoryService> inventory_service;
  catalog::CatalogModule catalog(
      *databases.at("catalog"), event_sources.outbox("catalog"), cache, *activity, logger,
      [&users](const std::string& user_id) -> std::optional<std::string> {
        const auto name = users.client().name(user_id);
        if (!name) return std::nullopt;
        return catalog::reviewerDisplayName(*name);
      },
      [&inventory_service, &logger](const std::string& sku, std::int64_t on_hand) {
        if (!inventory_service) return;
        const auto result = inventory_service->setOnHand(sku, on_hand);
        if (result.status != inventory::SetOnHandStatus::kDone) {
          logger.warn("stock from a product write not applied to inventory",
                      {{"sku", sku}, {"on_hand", on_hand}});
        }
      });
  catalog.requirePurchaseForReviews(config.reviews_require_purchase);
  if (serves_api) catalog.addRoutes(router);
  inventory_service = std::make_unique<inventory::InventoryService>(
      *databases.at("inventory"), event_sources.outbox("inventory"), config.low_stock_threshold,
      [&catalog](const std::vector<inventory::StockLevel>& levels) {
        for (const auto& level : levels) catalog.mirrorStock(level.sku, level.available());
      });
  if (serves_api) carryStockToInventory(catalog.storage().stock, *inventory_service, logger);
  inventory::InventoryApi inventory_api{*inventory_service, catalog.storage().products};
  if (serves_api) inventory::addRoutes(router, inventory_api);

  cart::CartService carts(*databases.at("cart"), catalog.storage().products, *inventory_service);
  if (serves_api) cart::addRoutes(router, carts, *activity);

  // The card provider: the configured one, else the sandbox on a loopback
  // listener of its own (never this router: its control and refund routes
  // are not the public's), so the default shop takes test cards with no setup.
  std::optional<SandboxListener> sandbox;
  auto provider_options = payments::providerOptions(config);
  if (!config.payment_provider_url) {
    provider_options.secret = sandboxSecret(config, logger);
    net::ServerOptions listen = config.http;
    listen.host = config.sandbox_listen_host;
    listen.port = config.sandbox_listen_port;
    listen.threads = 1;
    listen.trust_forwarded_for = false;  // loopback: nothing forwards to it
    sandbox.emplace(*databases.at("sandbox"),
                    SandboxListenerOptions{listen, provider_options.secret,
                                           config.rate_limits_enabled, translateError},
                    logger);
    sandbox->start();
    logger.info("payment sandbox is serving", {{"url", sandbox->baseUrl()}});
  }
  payments::PaymentsModule payment_module(
      *databases.at("payments"),
      payments::providerBaseUrl(
          config.payment_provider_url,
          [origin = sandbox ? sandbox->origin() : std::string()] { return origin; }),
      provider_options, logger, payments::giftCardLimits(config));
  if (serves_api) payment_module.addRoutes(router);
  ops.checks.push_back(paymentProviderCheck(payment_module));

  orders::OrderStore order_store(*databases.at("orders"), event_sources.outbox("orders"));
  orders::OrderService order_service(
      order_store, carts, catalog.storage().products, *inventory_service, payment_module.client(),
      [&users](const std::string& user_id,
               const std::string& address_id) -> std::optional<orders::ShippingAddress> {
        return users.client().address(user_id, address_id);
      },
      orderOptions(config), logger);
  if (serves_api) orders::addRoutes(router, order_service, *activity);
  // Refunds made at the card provider move the order too (the orders service
  // records them in its own tables); unhooked before order_service goes.
  const payments::ProviderRefundSubscription provider_refunds(
      payment_module.service(), [&order_service](const payments::ProviderRefundNotice& n) {
        order_service.recordProviderRefund(n.order_id, n.provider_refund_id, n.amount);
      });

  // Background work, stopped (destroyed) before the services it calls.
  EventConsumers consumers(config, databases, users.client(), catalog, logger);
  const auto event_workers =
      startDelivery(config, event_sources, consumers.all(), logger, event_metrics);
  std::optional<inventory::ExpirySweeper> reservation_sweeper;
  std::optional<cart::GuestCartPurger> cart_purger;
  if (serves_api) {
    reservation_sweeper.emplace(*inventory_service, kReservationSweepEvery, logger);
    cart_purger.emplace(carts, kGuestCartPurgeEvery, logger);
  }

  const ClientRequestLimit client_limit(*limiter,
                                        {config.request_burst, config.requests_per_second});

  metrics::HttpMetrics http_metrics(router);
  registry.add([&http_metrics](std::string& out) { http_metrics.render(out); });
  registry.add([&databases](std::string& out) { renderPoolMetrics(out, databases); });
  registry.add(
      [&readiness_cache](std::string& out) { renderReadinessMetrics(out, readiness_cache); });
  registry.add([start_time](std::string& out) { metrics::renderProcessMetrics(out, start_time); });
  registry.add([&cache](std::string& out) { cache.renderMetrics(out); });
  registry.add([&inventory_service](std::string& out) { inventory_service->renderMetrics(out); });
  registry.add([&payment_module](std::string& out) { payment_module.renderMetrics(out); });
  registry.add([&order_service](std::string& out) { order_service.renderMetrics(out); });
  registry.add([&event_metrics](std::string& out) { event_metrics.render(out); });
  registry.add([&users, redis_limiter = dynamic_cast<const ratelimit::RedisRateLimiter*>(
                            limiter.get())](std::string& out) {
    out += "# HELP emporium_auth_key_reload_failures_total Signing-key reloads that failed.\n";
    out += "# TYPE emporium_auth_key_reload_failures_total counter\n";
    out += "emporium_auth_key_reload_failures_total " +
           std::to_string(users.keys().reloadFailures()) + "\n";
    if (redis_limiter == nullptr) return;
    out +=
        "# HELP emporium_ratelimit_redis_fallbacks_total Limit checks answered in-process "
        "because Redis was down or slow.\n";
    out += "# TYPE emporium_ratelimit_redis_fallbacks_total counter\n";
    out += "emporium_ratelimit_redis_fallbacks_total " +
           std::to_string(redis_limiter->fallbacks()) + "\n";
    out += "# HELP emporium_ratelimit_redis_up 1 while rate limits are counted in Redis.\n";
    out += "# TYPE emporium_ratelimit_redis_up gauge\nemporium_ratelimit_redis_up " +
           std::string(redis_limiter->healthy() ? "1" : "0") + "\n";
  });

  std::optional<OpsListener> ops_listener;
  if (config.ops_listen_host) {
    ops_listener.emplace(config, ops_router, logger);
    ops_listener->server.start();
    logger.info("ops endpoints are serving",
                {{"url", "http://" + *config.ops_listen_host + ":" +
                             std::to_string(ops_listener->server.port())}});
  }
  net::HttpServer server(
      config.http, router, logger, http_metrics,
      http::DispatchContext{translateError, &users.authenticator(),
                            config.rate_limits_enabled ? &client_limit : nullptr});
  std::vector<NamedPort> other_ports;
  if (sandbox) other_ports.emplace_back("sandbox", sandbox->port());
  if (ops_listener) other_ports.emplace_back("ops", ops_listener->server.port());
  return serveUntilSignal(
      server, config, logger, stop_signals, ops.database_backend,
      [&order_service, &payment_module, serves_api,
       reconcile_every = config.payment_reconcile_every] {
        if (serves_api) order_service.startSweeper();
        if (serves_api) payment_module.startReconciler(reconcile_every);
      },
      "shop", other_ports);
}

}  // namespace emporium::app
