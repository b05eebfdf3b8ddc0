#include "core/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "core/metrics/metrics.hpp"

namespace emporium::metrics {
namespace {

std::string_view typeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void appendNumber(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void appendNumber(std::string& out, double value) {
  // The format spells the special values as Go's ParseFloat reads them.
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, end);
  }
}

// One sample line: name (and suffix), labels, value.
template <typename Value>
void appendSample(std::string& out, std::string_view name, const Labels& labels, Value value,
                  std::string_view suffix = "") {
  out.append(name).append(suffix);
  if (!labels.empty()) {
    out.push_back('{');
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) out.push_back(',');
      first = false;
      out.append(label).append("=\"").append(escapeLabel(label_value)).push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  appendNumber(out, value);
  out.push_back('\n');
}

// HELP text escapes backslash and newline (not the double quote).
std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "0.0001", not "1e-04": what Prometheus clients print and people grep for.
std::string bucketBound(double bound) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, bound, std::chars_format::fixed);
  return {buf, end};
}

}  // namespace

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

Exposition::Family& Exposition::family(std::string_view name, std::string_view help,
                                       MetricType type) {
  if (const auto it = index_.find(name); it != index_.end()) {
    Family& existing = families_[it->second];
    if (existing.type != type) {
      throw std::logic_error("metric family " + std::string(name) + " declared as " +
                             std::string(typeName(existing.type)) + " and as " +
                             std::string(typeName(type)));
    }
    return existing;
  }
  index_.emplace(std::string(name), families_.size());
  families_.push_back({std::string(name), std::string(help), type, {}});
  return families_.back();
}

void Exposition::declare(std::string_view name, std::string_view help, MetricType type) {
  family(name, help, type);
}

void Exposition::counter(std::string_view name, std::string_view help, std::uint64_t value,
                         const Labels& labels) {
  appendSample(family(name, help, MetricType::kCounter).samples, name, labels, value);
}

void Exposition::counter(std::string_view name, std::string_view help, double value,
                         const Labels& labels) {
  appendSample(family(name, help, MetricType::kCounter).samples, name, labels, value);
}

void Exposition::gauge(std::string_view name, std::string_view help, double value,
                       const Labels& labels) {
  appendSample(family(name, help, MetricType::kGauge).samples, name, labels, value);
}

void Exposition::histogram(std::string_view name, std::string_view help, const Histogram& histogram,
                           const Labels& labels) {
  std::string& out = family(name, help, MetricType::kHistogram).samples;
  const Histogram::Counts counts = histogram.counts();
  Labels bucket_labels = labels;
  bucket_labels.emplace_back("le", "");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.buckets.size(); ++i) {
    cumulative += counts.buckets[i];
    bucket_labels.back().second =
        i < Histogram::kBounds.size() ? bucketBound(Histogram::kBounds[i]) : "+Inf";
    appendSample(out, name, bucket_labels, cumulative, "_bucket");
  }
  appendSample(out, name, labels, counts.sum_seconds, "_sum");
  appendSample(out, name, labels, cumulative, "_count");
}

std::string Exposition::text() const {
  std::string out;
  for (const Family& f : families_) {
    out.append("# HELP ").append(f.name).append(" ").append(escapeHelp(f.help)).push_back('\n');
    out.append("# TYPE ").append(f.name).append(" ").append(typeName(f.type)).push_back('\n');
    out.append(f.samples);
  }
  return out;
}

}  // namespace emporium::metrics
