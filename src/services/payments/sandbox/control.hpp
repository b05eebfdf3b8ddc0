#pragma once
// Fault injection for tests of the payment path: latency on every charge and
// refund call, and 503s for a share of calls or the next N. "before" fails
// without acting; "after" acts (charges, refunds) and then answers 503 — the
// lost response that idempotency keys exist for. In memory, per process, and
// owned by the SandboxModule: never global.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string_view>

namespace emporium::payments::sandbox {

enum class FailMode : std::uint8_t { kBefore, kAfter };

std::string_view failModeName(FailMode mode);

struct ControlSettings {
  std::chrono::milliseconds latency{0};
  double fail_rate = 0;  // 0..1
  FailMode fail_mode = FailMode::kBefore;
  std::int64_t fail_next = 0;  // calls left that fail for certain
};

/// What happens to one call.
struct CallPlan {
  std::chrono::milliseconds latency{0};
  bool fail = false;
  FailMode mode = FailMode::kBefore;
};

class Control {
 public:
  Control();
  ControlSettings settings() const;
  void set(const ControlSettings& settings);
  /// Decides the fate of one call: the next of fail_next, or a draw against
  /// fail_rate. Thread-safe.
  CallPlan planCall();

 private:
  mutable std::mutex mutex_;
  ControlSettings settings_;
  std::mt19937_64 random_;
};

}  // namespace emporium::payments::sandbox
