#pragma once
// The Prometheus text exposition format (0.0.4), written in one place. A
// component adds its samples by family name; the Exposition prints each
// family's HELP and TYPE once, however many components add samples to it,
// followed by its samples in the order they were added. Families come out in
// the order they were first declared. Label values are escaped here, so no
// caller writes the format by hand.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emporium::metrics {

class Histogram;

/// Label name/value pairs, printed in this order. Names come from code and are
/// printed as they are; values are escaped.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType : std::uint8_t { kCounter, kGauge, kHistogram };

/// Escapes a label value for the text format (backslash, double quote, newline).
std::string escapeLabel(std::string_view value);

class Exposition {
 public:
  /// Declares a family without adding a sample, so that its HELP and TYPE are
  /// shown before the first sample exists (a per-consumer counter before any
  /// consumer ran). The first help text of a family wins. Throws
  /// std::logic_error when the family was declared with another type: two
  /// components disagreeing on a name is a bug, not something to print twice.
  void declare(std::string_view name, std::string_view help, MetricType type);

  void counter(std::string_view name, std::string_view help, std::uint64_t value,
               const Labels& labels = {});
  /// For counters of a fractional unit (CPU seconds).
  void counter(std::string_view name, std::string_view help, double value,
               const Labels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value, const Labels& labels = {});
  /// The _bucket lines (cumulative, `le` after the other labels), _sum and _count.
  void histogram(std::string_view name, std::string_view help, const Histogram& histogram,
                 const Labels& labels = {});

  std::string text() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    MetricType type;
    std::string samples;
  };
  Family& family(std::string_view name, std::string_view help, MetricType type);

  std::vector<Family> families_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

/// The text of what `collect(Exposition&)` adds on its own: for tests that
/// read one component's samples.
template <typename Collect>
std::string textOf(const Collect& collect) {
  Exposition exposition;
  collect(exposition);
  return exposition.text();
}

}  // namespace emporium::metrics
