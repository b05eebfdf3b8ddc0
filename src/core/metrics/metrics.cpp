#include "core/metrics/metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/http/router.hpp"

namespace emporium::metrics {
namespace {

void appendNumber(std::string& out, double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void appendNumber(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void appendNumber(std::string& out, std::int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;

}  // namespace

void Histogram::observe(double seconds) noexcept {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  std::uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{").append(labels).append(sep).append("le=\"");
    if (i < kBounds.size()) {
      // Fixed notation ("0.0001", not "1e-04"): what Prometheus clients print and people grep for.
      char buf[32];
      const auto [end, ec] =
          std::to_chars(buf, buf + sizeof buf, kBounds[i], std::chars_format::fixed);
      out.append(buf, end);
    } else {
      out.append("+Inf");
    }
    out.append("\"} ");
    appendNumber(out, cumulative);
    out.push_back('\n');
  }
  out.append(name).append("_sum{").append(labels).append("} ");
  appendNumber(out, static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9);
  out.append("\n").append(name).append("_count{").append(labels).append("} ");
  appendNumber(out, cumulative);
  out.push_back('\n');
}

std::string escapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct HttpMetrics::Slot {
  std::string labels;  // route="...",method="..."
  Histogram latency;
  std::array<std::atomic<std::uint64_t>, kMaxStatus - kMinStatus + 1> by_status{};
};

HttpMetrics::HttpMetrics(const http::Router& router) {
  for (const auto& route : router.routes()) {
    auto slot = std::make_unique<Slot>();
    slot->labels = "route=\"" + escapeLabel(route->pattern) + "\",method=\"" +
                   std::string(http::methodName(route->method)) + "\"";
    slots_.push_back(std::move(slot));
  }
  auto unmatched = std::make_unique<Slot>();
  unmatched->labels = R"(route="unmatched",method="")";
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

void HttpMetrics::render(std::string& out) const {
  out += "# HELP emporium_http_requests_total HTTP requests by route, method and status.\n";
  out += "# TYPE emporium_http_requests_total counter\n";
  for (const auto& slot : slots_) {
    for (std::size_t i = 0; i < slot->by_status.size(); ++i) {
      const auto n = slot->by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.append("emporium_http_requests_total{").append(slot->labels).append(",status=\"");
      appendNumber(out, static_cast<std::uint64_t>(i + kMinStatus));
      out.append("\"} ");
      appendNumber(out, n);
      out.push_back('\n');
    }
  }
  out +=
      "# HELP emporium_http_request_duration_seconds Time from a request's last byte to its "
      "response.\n";
  out += "# TYPE emporium_http_request_duration_seconds histogram\n";
  for (const auto& slot : slots_) {
    slot->latency.render(out, "emporium_http_request_duration_seconds", slot->labels);
  }
  const auto gauge = [&out](std::string_view name, std::string_view type, std::string_view help,
                            auto value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(" ");
    appendNumber(out, value);
    out.push_back('\n');
  };
  gauge("emporium_http_requests_in_flight", "gauge", "Requests being handled now.",
        in_flight.load(std::memory_order_relaxed));
  gauge("emporium_http_connections_open", "gauge", "Client connections open now.",
        connections_open.load(std::memory_order_relaxed));
  gauge("emporium_http_connections_accepted_total", "counter", "Client connections accepted.",
        connections_accepted.load(std::memory_order_relaxed));
  gauge("emporium_http_connections_rejected_total", "counter",
        "Connections closed at once because the connection cap was reached.",
        connections_rejected.load(std::memory_order_relaxed));
}

void Registry::add(Collector collector) {
  const std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16384);
  const std::lock_guard lock(mutex_);
  for (const auto& collect : collectors_) collect(out);
  return out;
}

void renderProcessMetrics(std::string& out, double start_time_seconds) {
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
  out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n";
  out += "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ";
  appendNumber(out, static_cast<std::int64_t>(resident_pages) * page);
  out += "\n# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n";
  out += "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes ";
  appendNumber(out, static_cast<std::int64_t>(size_pages) * page);
  out += "\n# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n";
  out += "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ";
  appendNumber(out, cpu_seconds);
  out += "\n# HELP process_open_fds Number of open file descriptors.\n";
  out += "# TYPE process_open_fds gauge\nprocess_open_fds ";
  appendNumber(out, fds);
  out +=
      "\n# HELP process_start_time_seconds Start time of the process since unix epoch in "
      "seconds.\n";
  out += "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ";
  appendNumber(out, start_time_seconds);
  out += "\n";
}

}  // namespace emporium::metrics
