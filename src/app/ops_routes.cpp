#include "app/ops_routes.hpp"

#include "core/http/api_error.hpp"
#include "core/json/writer.hpp"

namespace emporium::app {
namespace {

constexpr std::string_view kVersion = "0.1.0";

// Probes every dependency; the causes of failures (host and user names) go
// to the log, not to whoever asked.
ReadinessResult runChecks(const OpsContext& ctx, const http::Request& req) {
  json::Writer checks;
  checks.startObject();
  ReadinessResult result;
  for (const auto& dep : ctx.checks) {
    const auto started = std::chrono::steady_clock::now();
    std::string error;
    try {
      dep.check();
    } catch (const std::exception& e) {
      error = e.what();
      result.failing.push_back(dep.name);
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    checks.key(dep.name).startObject();
    checks.member("status", error.empty() ? "up" : "down");
    checks.member("latency_ms", ms);
    checks.endObject();
    if (!error.empty()) {
      req.log().warn("dependency down", {{"dependency", dep.name}, {"error", error}});
    }
  }
  checks.endObject();
  result.checks_json = checks.str();
  return result;
}

// A burst of /readyz calls shares one probe run per second instead of
// opening connections to every dependency for each call.
http::Response readiness(const OpsContext& ctx, const http::Request& req) {
  constexpr auto kFresh = std::chrono::seconds(1);
  ReadinessResult result;
  {
    const std::lock_guard lock(ctx.readiness_cache->mutex);
    auto& cache = *ctx.readiness_cache;
    const auto now = std::chrono::steady_clock::now();
    if (!cache.result || now - cache.at > kFresh) {
      cache.result = runChecks(ctx, req);
      cache.at = now;
    }
    result = *cache.result;
  }
  if (result.failing.empty()) {
    json::Writer w;
    w.startObject().member("status", "ready").key("checks").raw(result.checks_json).endObject();
    return http::Response::json(200, w.str());
  }
  std::string detail = "not ready: ";
  for (std::size_t i = 0; i < result.failing.size(); ++i) {
    detail += (i > 0 ? ", " : "") + result.failing[i] + " down";
  }
  // A problem document (every error is one) that also carries the per-dependency status.
  json::Writer w;
  w.startObject()
      .member("type", http::problemType("not-ready"))
      .member("title", "Service Unavailable")
      .member("status", 503)
      .member("detail", detail)
      .member("instance", req.path)
      .member("request_id", req.request_id)
      .key("checks")
      .raw(result.checks_json)
      .endObject();
  return http::Response{503, http::kProblemJson, w.str(), {}};
}

}  // namespace

void addOpsRoutes(http::Router& router, const OpsContext& ctx) {
  const http::RouteOptions inline_route{http::Execution::kInline, http::Access::kPublic, false};
  router.add(
      http::Method::kGet, "/healthz",
      [](http::Request&) { return http::Response::json(200, R"({"status":"ok"})"); }, inline_route);
  router.add(http::Method::kGet, "/readyz",
             [&ctx](http::Request& req) { return readiness(ctx, req); },
             {http::Execution::kBlocking, http::Access::kPublic, false});
  router.add(
      http::Method::kGet, "/metrics",
      [&ctx](http::Request&) {
        return http::Response{200, http::kPrometheusText, ctx.registry->render(), {}};
      },
      inline_route);
  // The API root: a small document naming the running build and where to look next.
  json::Writer w;
  w.startObject()
      .member("name", "emporium")
      .member("version", kVersion)
      .member("target", ctx.target)
      .member("database", ctx.database_backend)
      .key("links")
      .startObject()
      .member("health", "/healthz")
      .member("ready", "/readyz")
      .member("metrics", "/metrics")
      .endObject()
      .endObject();
  router.add(
      http::Method::kGet, "/api/v1",
      [body = w.str()](http::Request&) { return http::Response::json(200, body); }, inline_route);
}

}  // namespace emporium::app
