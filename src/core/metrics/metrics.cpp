#include "core/metrics/metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/http/router.hpp"

namespace emporium::metrics {
namespace {

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;

}  // namespace

void Histogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

Histogram::Counts Histogram::counts() const noexcept {
  Counts counts;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    counts.buckets[i] = counts_[i].load(std::memory_order_relaxed);
  }
  counts.sum_seconds = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return counts;
}

struct HttpMetrics::Slot {
  Labels labels;  // route, method
  Histogram latency;
  std::array<std::atomic<std::uint64_t>, kMaxStatus - kMinStatus + 1> by_status{};
};

HttpMetrics::HttpMetrics(const http::Router& router) {
  for (const auto& route : router.routes()) {
    auto slot = std::make_unique<Slot>();
    slot->labels = {{"route", route->pattern},
                    {"method", std::string(http::methodName(route->method))}};
    slots_.push_back(std::move(slot));
  }
  auto unmatched = std::make_unique<Slot>();
  unmatched->labels = {{"route", "unmatched"}, {"method", ""}};
  slots_.push_back(std::move(unmatched));
}

HttpMetrics::~HttpMetrics() = default;

void HttpMetrics::record(std::size_t slot, int status, double seconds) noexcept {
  if (slot >= slots_.size()) slot = unmatchedSlot();
  auto& s = *slots_[slot];
  s.latency.observe(seconds);
  if (status < kMinStatus || status > kMaxStatus) status = 500;
  s.by_status[static_cast<std::size_t>(status - kMinStatus)].fetch_add(1,
                                                                       std::memory_order_relaxed);
}

void HttpMetrics::collect(Exposition& out) const {
  constexpr std::string_view kRequests = "emporium_http_requests_total";
  constexpr std::string_view kRequestsHelp = "HTTP requests by route, method and status.";
  // Shown before the first request too: the families do not depend on the traffic.
  out.declare(kRequests, kRequestsHelp, MetricType::kCounter);
  for (const auto& slot : slots_) {
    Labels labels = slot->labels;
    labels.emplace_back("status", "");
    for (std::size_t i = 0; i < slot->by_status.size(); ++i) {
      const auto n = slot->by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      labels.back().second = std::to_string(i + kMinStatus);
      out.counter(kRequests, kRequestsHelp, n, labels);
    }
  }
  for (const auto& slot : slots_) {
    out.histogram("emporium_http_request_duration_seconds",
                  "Time from a request's last byte to its response.", slot->latency, slot->labels);
  }
  out.gauge("emporium_http_requests_in_flight", "Requests being handled now.",
            static_cast<double>(in_flight.load(std::memory_order_relaxed)));
  out.gauge("emporium_http_connections_open", "Client connections open now.",
            static_cast<double>(connections_open.load(std::memory_order_relaxed)));
  out.counter("emporium_http_connections_accepted_total", "Client connections accepted.",
              connections_accepted.load(std::memory_order_relaxed));
  out.counter("emporium_http_connections_rejected_total",
              "Connections closed at once because the connection cap was reached.",
              connections_rejected.load(std::memory_order_relaxed));
}

void Registry::add(Collect collect) {
  const std::lock_guard lock(mutex_);
  collectors_.emplace_back(std::move(collect));
}

std::string Registry::render() const {
  Exposition exposition;
  const std::lock_guard lock(mutex_);
  for (const auto& collect : collectors_) collect(exposition);
  return exposition.text();
}

void collectProcessMetrics(Exposition& out, double start_time_seconds) {
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  std::ifstream statm("/proc/self/statm");
  long size_pages = 0;
  long resident_pages = 0;
  statm >> size_pages >> resident_pages;
  std::ifstream stat("/proc/self/stat");
  std::string stat_line;
  std::getline(stat, stat_line);
  double cpu_seconds = 0;
  // Fields after the ")" that closes the command name; utime and stime are 14 and 15.
  if (const auto close = stat_line.rfind(')'); close != std::string::npos) {
    std::istringstream fields(stat_line.substr(close + 2));
    std::string field;
    unsigned long utime = 0;
    unsigned long stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stoul(field);
      if (i == 15) stime = std::stoul(field);
    }
    cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  }
  std::int64_t fds = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): this DIR* is private to the call.
    while (::readdir(dir) != nullptr) ++fds;
    ::closedir(dir);
    fds -= 3;  // ".", ".." and the directory's own descriptor
  }
  // HELP texts as the Prometheus client libraries write them.
  out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            static_cast<double>(static_cast<std::int64_t>(resident_pages) * page));
  out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            static_cast<double>(static_cast<std::int64_t>(size_pages) * page));
  out.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
              cpu_seconds);
  out.gauge("process_open_fds", "Number of open file descriptors.", static_cast<double>(fds));
  out.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            start_time_seconds);
}

}  // namespace emporium::metrics
