#include <pthread.h>
#include <csignal>

#include <chrono>
#include <cstdio>
#include <memory>

#include "app/commands.hpp"
#include "app/ops_routes.hpp"
#include "app/request_limits.hpp"
#include "app/services.hpp"
#include "core/cache/tiered_cache.hpp"
#include "core/deps/probes.hpp"
#include "core/http/dispatch.hpp"
#include "core/net/server.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "core/ratelimit/redis_rate_limiter.hpp"
#include "services/catalog/catalog_module.hpp"
#include "services/users/users_module.hpp"

namespace emporium::app {
namespace {

constexpr std::chrono::milliseconds kProbeTimeout{1000};

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
  const double start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const Databases databases = openDatabases(config, logger);

  metrics::Registry registry;
  ReadinessCache readiness_cache;
  OpsContext ops{config.target, config.postgres_url ? "postgresql" : "sqlite",
                 readinessChecks(config, databases), &registry, &readiness_cache};
  http::Router router;
  addOpsRoutes(router, ops);

  // Shared through Redis when it is configured, so every instance counts alike.
  const auto limiter = ratelimit::makeRateLimiter(config.redis_url);
  users::UsersModule users(*databases.at("users"), *limiter,
                           users::AuthLimits{.enabled = config.rate_limits_enabled});
  users.addRoutes(router);

  cache::Options cache_options;
  cache_options.redis_url = config.redis_url;
  cache_options.l4_max_bytes = config.cache_max_bytes;
  // Keys are scoped to the catalog database they were read from, so shops
  // (or test runs) sharing one Redis never see each other's entries, while
  // every process of one shop shares them.
  cache_options.redis.prefix =
      "emporium:" + sql::sha256Hex(databases.at("catalog")->describe()).substr(0, 12) + ":cache:";
  cache::TieredCache cache(std::move(cache_options));
  catalog::CatalogModule catalog(
      *databases.at("catalog"), cache, logger,
      [&users](const std::string& user_id) -> std::optional<std::string> {
        const auto user = users.users().findById(user_id);
        if (!user) return std::nullopt;
        return catalog::reviewerDisplayName(user->name);
      });
  catalog.addRoutes(router);
  const ClientRequestLimit client_limit(*limiter,
                                        {config.request_burst, config.requests_per_second});

  metrics::HttpMetrics http_metrics(router);
  registry.add([&http_metrics](std::string& out) { http_metrics.render(out); });
  registry.add([&databases](std::string& out) { renderPoolMetrics(out, databases); });
  registry.add([start_time](std::string& out) { metrics::renderProcessMetrics(out, start_time); });
  registry.add([&cache](std::string& out) { cache.renderMetrics(out); });
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
    out += "# TYPE emporium_ratelimit_redis_up gauge\nemporium_ratelimit_redis_up " +
           std::string(redis_limiter->healthy() ? "1" : "0") + "\n";
  });

  net::HttpServer server(
      config.http, router, logger, http_metrics,
      http::DispatchContext{translateError, &users.authenticator(),
                            config.rate_limits_enabled ? &client_limit : nullptr});
  server.start();
  logger.info("emporium is serving",
              {{"url", "http://" + config.listen_host + ":" + std::to_string(server.port())},
               {"target", config.target},
               {"data_dir", config.data_dir},
               {"database", ops.database_backend}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  logger.info("shutting down: draining in-flight requests",
              {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.stop();
  logger.info("stopped");
  logger.flush();
  return 0;
}

}  // namespace emporium::app
