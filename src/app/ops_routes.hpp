#pragma once
// /healthz, /readyz, /metrics and the API root: the operator's view of a process.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/http/router.hpp"
#include "core/metrics/metrics.hpp"
#include "core/module/module.hpp"

namespace emporium::app {

/// One dependency /readyz checks (modules name their own; see core/module).
using ReadinessCheck = module::ReadinessCheck;

/// One run of the readiness probes: per-dependency JSON and who is down.
struct ReadinessResult {
  std::string checks_json;
  std::vector<std::string> failing;              // critical ones: the instance is unready
  std::vector<std::string> degraded;             // the others
  std::vector<std::pair<std::string, bool>> up;  // every dependency, for the gauge
};

/// Who may read /metrics on a listener.
enum class MetricsAccess : std::uint8_t {
  kRestricted,  // loopback clients and holders of the metrics token
  kOpen,        // the --ops-listen listener: whoever can reach it
};

/// The last probe run, reused for a second.
struct ReadinessCache {
  std::mutex mutex;  // held while probes run (up to their timeouts)
  std::optional<ReadinessResult> result;
  std::chrono::steady_clock::time_point at;
  /// A copy of result->up under a lock never held for long: /metrics reads
  /// it on an event loop.
  std::mutex gauge_mutex;
  std::vector<std::pair<std::string, bool>> last_up;
};

struct OpsContext {
  std::string target;
  std::string database_backend;  // "sqlite", "postgresql", or "none" (the gateway)
  std::vector<ReadinessCheck> checks;
  const metrics::Registry* registry = nullptr;
  ReadinessCache* readiness_cache = nullptr;
  /// EMPORIUM_METRICS_TOKEN: Bearer token that may read /metrics from anywhere.
  std::optional<std::string> metrics_token;
};

/// Registers /healthz, /readyz and /metrics. ctx must outlive the router.
void addOpsRoutes(http::Router& router, const OpsContext& ctx,
                  MetricsAccess access = MetricsAccess::kRestricted);
/// Registers the API root (GET /api/v1), which stays on the shop's listener.
void addApiRoot(http::Router& router, const OpsContext& ctx);
/// emporium_dependency_up per dependency, as of the last /readyz run.
void collectReadinessMetrics(metrics::Exposition& out, ReadinessCache& cache);

}  // namespace emporium::app
