#pragma once
// Prometheus text exposition. Counters are relaxed atomics bumped on the hot
// path; rendering walks them when /metrics is scraped.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace emporium::http {
class Router;
}

namespace emporium::metrics {

/// Fixed-bucket latency histogram (seconds).
class Histogram {
 public:
  static constexpr std::array<double, 15> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                     0.005,  0.01,    0.025,  0.05,  0.1,
                                                     0.25,   0.5,     1.0,    2.5,   10.0};
  void observe(double seconds) noexcept;
  /// Appends the _bucket/_sum/_count lines; labels is `k="v",...` without braces.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

/// Escapes a label value for the text format.
std::string escapeLabel(std::string_view value);

/// Request metrics per route (method + pattern) and status.
class HttpMetrics {
 public:
  /// Routes must all be registered before this is built.
  explicit HttpMetrics(const http::Router& router);
  ~HttpMetrics();
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  /// The slot used for requests that matched no route.
  std::size_t unmatchedSlot() const noexcept { return slots_.size() - 1; }
  void record(std::size_t slot, int status, double seconds) noexcept;

  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_rejected{0};

  void render(std::string& out) const;

 private:
  struct Slot;
  std::vector<std::unique_ptr<Slot>> slots_;
};

/// Collects every component's metrics for /metrics. Components register a
/// render callback at wiring time; the registry outlives none of them.
class Registry {
 public:
  using Collector = std::function<void(std::string& out)>;
  void add(Collector collector);
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Collector> collectors_;
};

/// process_* metrics (resident memory, CPU seconds, start time, open fds).
void renderProcessMetrics(std::string& out, double start_time_seconds);

}  // namespace emporium::metrics
