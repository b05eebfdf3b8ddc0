#pragma once
// /healthz, /readyz, /metrics and the API root: the operator's view of a process.

#include <chrono>
#include <functional>
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

struct OpsContext {
  std::string target;
  std::string database_backend;  // "sqlite" or "postgresql"
  std::vector<ReadinessCheck> checks;
  const metrics::Registry* registry = nullptr;
};

/// Registers the ops routes. ctx must outlive the router.
void addOpsRoutes(http::Router& router, const OpsContext& ctx);

}  // namespace emporium::app
