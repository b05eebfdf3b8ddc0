#pragma once
// What /metrics shows. Counters are relaxed atomics bumped on the hot path;
// collecting reads them into an Exposition (the text format, written in one
// place) when /metrics is scraped.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics/exposition.hpp"

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
  /// Per-bucket counts (not cumulative; the last one is above every bound) and
  /// the sum of the observations, as read now.
  struct Counts {
    std::array<std::uint64_t, kBounds.size() + 1> buckets{};
    double sum_seconds = 0;
  };

  void observe(double seconds) noexcept;
  Counts counts() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

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

  void collect(Exposition& out) const;

 private:
  struct Slot;
  std::vector<std::unique_ptr<Slot>> slots_;
};

/// Collects every component's metrics for /metrics. Components register a
/// callback at wiring time; the registry outlives none of them.
class Registry {
 public:
  /// Adds samples to the one Exposition of a scrape.
  using Collect = std::function<void(Exposition& out)>;

  void add(Collect collect);
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Collect> collectors_;
};

/// process_* metrics (resident memory, CPU seconds, start time, open fds).
void collectProcessMetrics(Exposition& out, double start_time_seconds);

}  // namespace emporium::metrics
