#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.hpp"
#include "app/event_wiring.hpp"
#include "app/module_table.hpp"
#include "app/ops_routes.hpp"
#include "app/port_file.hpp"
#include "app/request_limits.hpp"
#include "app/sandbox_listener.hpp"
#include "app/services.hpp"
#include "core/deps/probes.hpp"
#include "core/http/dispatch.hpp"
#include "core/net/http_client.hpp"
#include "core/net/server.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "core/ratelimit/redis_rate_limiter.hpp"
#include "gateway/gateway_routes.hpp"
#include "services/users/jwks_verifier.hpp"

namespace emporium::app {
namespace {

constexpr std::chrono::milliseconds kProbeTimeout{1000};

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

void collectPoolMetrics(metrics::Exposition& out, const Databases& dbs) {
  constexpr std::string_view kHelp = "Database connections per service and state.";
  for (const auto& [service, db] : dbs) {
    const auto stats = db->poolStats();
    for (const auto& [state, value] : {std::pair<std::string_view, std::size_t>{"open", stats.size},
                                       {"in_use", stats.in_use},
                                       {"waiting", stats.waiting}}) {
      out.gauge("emporium_db_pool_connections", kHelp, static_cast<double>(value),
                {{"service", service}, {"state", std::string(state)}});
    }
  }
}

// The rate limiter's own health, when it counts in Redis.
void collectLimiterMetrics(metrics::Exposition& out, const ratelimit::RateLimiter& limiter) {
  const auto* redis = dynamic_cast<const ratelimit::RedisRateLimiter*>(&limiter);
  if (redis == nullptr) return;
  out.counter("emporium_ratelimit_redis_fallbacks_total",
              "Limit checks answered in-process because Redis was down or slow.",
              redis->fallbacks());
  out.gauge("emporium_ratelimit_redis_up", "1 while rate limits are counted in Redis.",
            redis->healthy() ? 1 : 0);
}

// The modules a target builds, in table order; each row's make gets the
// contracts of those before it. Stopped in reverse order, then destroyed in
// reverse order, so nothing outlives what it calls.
class Modules {
 public:
  Modules(const Selection& selection, Env& env)
      : routes_(selection.routes),
        consumers_(selection.consumers),
        background_(selection.background) {
    // Remote rows first: their clients need no peer, and rows built here may
    // need them.
    for (const Row* row : selection.remote) modules_.push_back(row->connect(env, peers_));
    for (const Row* row : selection.rows) {
      modules_.push_back(row->make(env, peers_));
      const bool active = std::find(selection.active.begin(), selection.active.end(), row) !=
                          selection.active.end();
      if (active) active_.push_back(modules_.back().get());
    }
  }
  ~Modules() {
    stop();
    while (!modules_.empty()) modules_.pop_back();
  }
  Modules(const Modules&) = delete;
  Modules& operator=(const Modules&) = delete;

  /// The active modules' routes, unless the target serves none (worker).
  void addRoutes(http::Router& router) const {
    if (!routes_) return;
    for (auto* module : active_) module->addRoutes(router);
  }
  /// The active modules' internal routes, unless the target serves none.
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) const {
    if (!routes_) return;
    for (auto* module : active_) module->addInternalRoutes(router, credential);
  }
  /// The active modules' consumers, unless the target consumes none (api).
  std::vector<events::Consumer> consumers() const {
    std::vector<events::Consumer> all;
    if (!consumers_) return all;
    for (auto* module : active_) {
      for (auto& consumer : module->consumers()) all.push_back(std::move(consumer));
    }
    return all;
  }
  /// Every built module's: a need runs in this process and its counters move too.
  void collect(metrics::Exposition& out) const {
    for (const auto& module : modules_) module->collect(out);
  }
  void addChecks(std::vector<ReadinessCheck>& checks) const {
    for (const auto& module : modules_) {
      for (auto& check : module->checks()) checks.push_back(std::move(check));
    }
  }
  /// The active modules' background work, unless the target runs none (worker).
  void start() const {
    if (!background_) return;
    for (auto* module : active_) module->start();
  }
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    std::for_each(modules_.rbegin(), modules_.rend(), [](const auto& module) { module->stop(); });
  }
  const Peers& peers() const { return peers_; }

 private:
  Peers peers_;
  std::vector<std::unique_ptr<module::Module>> modules_;
  std::vector<module::Module*> active_;
  bool routes_;
  bool consumers_;
  bool background_;
  bool stopped_ = false;
};

// /healthz, /readyz and /metrics with what they read.
struct Ops {
  Ops(const config::Config& config, const Databases& databases)
      : context{config.target,
                config.postgres_url ? "postgresql" : "sqlite",
                readinessChecks(config, databases),
                &registry,
                &readiness,
                config.metrics_token} {}
  metrics::Registry registry;
  ReadinessCache readiness;
  OpsContext context;
  http::Router router;  // --ops-listen's
};

// Refuses options the selected rows cannot work with, before any database opens.
void validateOptions(const Selection& selection, const config::Config& config) {
  for (const Row* row : selection.rows) {
    if (row->validate_options != nullptr) row->validate_options(config);
  }
}

// Signals go to the thread that sigwait()s, never to a loop thread: blocked
// before any thread starts so every thread inherits the mask.
sigset_t blockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

void startOpsListener(std::optional<OpsListener>& listener, const config::Config& config,
                      const http::Router& ops_router, const log::Logger& logger) {
  if (!config.ops_listen_host) return;
  listener.emplace(config, ops_router, logger);
  listener->server.start();
  logger.info("ops endpoints are serving", {{"url", "http://" + *config.ops_listen_host + ":" +
                                                        std::to_string(listener->server.port())}});
}

std::string joinedUrls(const std::vector<std::string>& urls) {
  std::string out;
  for (const auto& url : urls) out += (out.empty() ? "" : ",") + url;
  return out;
}

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
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
  SandboxListener sandbox(
      *databases.at("sandbox"),
      SandboxListenerOptions{config.http, sandboxSecret(config.sandbox_secret, logger),
                             config.rate_limits_enabled, translateError},
      logger, [&ops](http::Router& router) {
        addOpsRoutes(router, ops);
        addApiRoot(router, ops);
      });
  registry.add([&sandbox](metrics::Exposition& out) { sandbox.httpMetrics().collect(out); });
  return serveUntilSignal(sandbox.server(), config, logger, stop_signals, ops.database_backend, {},
                          "sandbox");
}

// What the shop's and the gateway's public listeners share.
struct PublicContext {
  const config::Config& config;
  const log::Logger& logger;
  const sigset_t& stop_signals;
  Ops& ops;
  ratelimit::RateLimiter& limiter;
};

// The public listener (with the per-address request limit), the ops listener
// when --ops-listen asks for one, then serving until a signal. `other_ports`
// are listeners started before (each already bound), for the port file.
int servePublic(const PublicContext& ctx, const http::Router& router,
                metrics::HttpMetrics& http_metrics, const http::Authenticator* authenticator,
                const std::function<void()>& on_started, std::vector<NamedPort> other_ports) {
  const config::Config& config = ctx.config;
  const ClientRequestLimit client_limit(ctx.limiter,
                                        {config.request_burst, config.requests_per_second});
  std::optional<OpsListener> ops_listener;
  startOpsListener(ops_listener, config, ctx.ops.router, ctx.logger);
  if (ops_listener) other_ports.emplace_back("ops", ops_listener->server.port());
  net::HttpServer server(
      config.http, router, ctx.logger, http_metrics,
      http::DispatchContext{translateError, authenticator,
                            config.rate_limits_enabled ? &client_limit : nullptr});
  return serveUntilSignal(server, config, ctx.logger, ctx.stop_signals,
                          ctx.ops.context.database_backend, on_started, "shop", other_ports);
}

// `--target=gateway`: the public API in front of the services' instances
// ([services.<name>] urls), with ops routes and the per-address request
// limit; no database. Tokens are still verified by the services.
int serveGateway(const config::Config& config, const log::Logger& logger,
                 const sigset_t& stop_signals) {
  gateway::GatewayOptions options;
  options.service_urls.insert(config.service_urls.begin(), config.service_urls.end());
  options.cors_origins = config.gateway_cors_origins;
  options.upstream_timeout = config.gateway_upstream_timeout;
  if (const auto problems = gateway::validate(options); !problems.empty()) {
    // The problem names the file key ("services.users.urls: ..."); say the
    // environment variable too.
    const std::string& problem = problems.front();
    const std::string key = problem.substr(0, problem.find(':'));
    std::string env = config::envName(key);
    if (key.starts_with("services.")) env.replace(0, 17, "EMPORIUM_SERVICE_");
    throw UsageError("--target=gateway: " + problem + " (set " + env + ", or " + key +
                     " in the --config file)");
  }
  const double start_time = nowSeconds();
  net::HttpClient client;
  const auto users_urls = options.service_urls.at("users");
  gateway::GatewayRoutes routes(std::move(options), client);
  const Databases no_databases;
  Ops ops(config, no_databases);
  ops.context.database_backend = "none";  // what /api/v1 and the start-up line report
  const auto limiter = ratelimit::makeRateLimiter(config.redis_url);
  // Per-account limits at the edge: tokens checked with the users service's
  // public keys (no signing key here), buckets shared through Redis.
  users::JwksVerifier tokens(client, users_urls);
  if (config.rate_limits_enabled) {
    routes.limitAccounts(tokens, *limiter,
                         {config.account_request_burst, config.account_requests_per_second});
  }

  http::Router router;
  addOpsRoutes(config.ops_listen_host ? ops.router : router, ops.context,
               config.ops_listen_host ? MetricsAccess::kOpen : MetricsAccess::kRestricted);
  routes.addRoutes(router);  // GET /api/v1 included: the services' root, passed on
  metrics::HttpMetrics http_metrics(router);
  ops.registry.add([&](metrics::Exposition& out) {
    http_metrics.collect(out);
    collectReadinessMetrics(out, ops.readiness);
    metrics::collectProcessMetrics(out, start_time);
    routes.collect(out);
    collectLimiterMetrics(out, *limiter);
  });
  return servePublic({config, logger, stop_signals, ops, *limiter}, router, http_metrics, nullptr,
                     {}, {});
}

}  // namespace

int runServe(const config::Config& config) {
  const sigset_t stop_signals = blockStopSignals();
  log::Logger logger(config.log_level);
  if (config.target == "payment-sandbox") return serveSandbox(config, logger, stop_signals);
  if (config.target == "gateway") return serveGateway(config, logger, stop_signals);
  const Selection selection = select(config.target, reachableServices(config));
  const Delivery delivery{selection.relay, selection.consumers, consumerQueues()};
  requireAmqpFor(config, delivery);
  for (const Row* row : selection.remote) {
    logger.info("calling a service's instances over HTTP instead of building it",
                {{"service", std::string(row->name)},
                 {"urls", joinedUrls(config.service_urls.at(std::string(row->name)))}});
  }
  validateOptions(selection, config);
  const double start_time = nowSeconds();
  const Databases databases = openDatabases(config, logger, databasesOf(selection.rows));

  Ops ops(config, databases);
  // Shared through Redis when it is configured, so every instance counts alike.
  const auto limiter = ratelimit::makeRateLimiter(config.redis_url);
  EventSources event_sources(databases);
  events::EventMetrics event_metrics;
  const auto activity =
      databases.contains("activity") ? makeActivityLog(config, databases, logger) : nullptr;
  std::optional<SandboxListener> sandbox;
  BackLinks links;
  net::HttpClient peers_http;
  Env env{config,   logger,  databases, event_sources, activity.get(),
          *limiter, sandbox, links,     peers_http};
  Modules modules(selection, env);
  // Other processes' remote clients call the internal routes with it; a
  // deployment without one mounts none.
  std::optional<http::ServiceCredential> credential;
  if (config.internal_secret) credential.emplace(*config.internal_secret);

  http::Router router;
  addOpsRoutes(config.ops_listen_host ? ops.router : router, ops.context,
               config.ops_listen_host ? MetricsAccess::kOpen : MetricsAccess::kRestricted);
  addApiRoot(router, ops.context);
  modules.addRoutes(router);
  if (credential) modules.addInternalRoutes(router, *credential);
  modules.addChecks(ops.context.checks);
  const auto event_workers =
      startDelivery(config, delivery, event_sources, modules.consumers(), logger, event_metrics);

  metrics::HttpMetrics http_metrics(router);
  ops.registry.add([&](metrics::Exposition& out) {
    http_metrics.collect(out);
    collectPoolMetrics(out, databases);
    collectReadinessMetrics(out, ops.readiness);
    metrics::collectProcessMetrics(out, start_time);
    modules.collect(out);
    event_metrics.collect(out);
    collectLimiterMetrics(out, *limiter);
  });
  std::vector<NamedPort> sandbox_port;
  if (sandbox) sandbox_port.emplace_back("sandbox", sandbox->port());
  const int code = servePublic(
      {config, logger, stop_signals, ops, *limiter}, router, http_metrics,
      modules.peers().authenticator, [&] { modules.start(); }, sandbox_port);
  modules.stop();  // in reverse table order, before anything is destroyed
  return code;
}

}  // namespace emporium::app
