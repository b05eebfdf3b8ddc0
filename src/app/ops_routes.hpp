#pragma once
// /healthz, /readyz, /metrics and the API root: the operator's view of a process.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/http/router.hpp"
#include "core/metrics/metrics.hpp"

namespace emporium::app {

/// One dependency /readyz checks: check() throws when it is not usable.
struct ReadinessCheck {
  std::string name;
  std::function<void()> check;
};

/// One run of the readiness probes: per-dependency JSON and who is down.
struct ReadinessResult {
  std::string checks_json;
  std::vector<std::string> failing;
};

/// The last probe run, reused for a second.
struct ReadinessCache {
  std::mutex mutex;
  std::optional<ReadinessResult> result;
  std::chrono::steady_clock::time_point at;
};

struct OpsContext {
  std::string target;
  std::string database_backend;  // "sqlite" or "postgresql"
  std::vector<ReadinessCheck> checks;
  const metrics::Registry* registry = nullptr;
  ReadinessCache* readiness_cache = nullptr;
};

/// Registers the ops routes. ctx must outlive the router.
void addOpsRoutes(http::Router& router, const OpsContext& ctx);

}  // namespace emporium::app
