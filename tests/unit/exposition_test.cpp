// The one writer of the Prometheus text format (core/metrics/exposition).

#include "core/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "core/metrics/metrics.hpp"

namespace emporium::metrics {
namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Two components adding samples to one family (two consumers' counters, two
// listeners' HTTP metrics) print one HELP and one TYPE line, then every sample.
TEST(Exposition, HelpAndTypeOncePerFamily) {
  Exposition e;
  e.counter("emporium_x_total", "Xs done.", std::uint64_t{3}, {{"consumer", "a"}});
  e.gauge("emporium_y", "A y.", 1.5);
  e.counter("emporium_x_total", "Xs done again.", std::uint64_t{4}, {{"consumer", "b"}});
  e.declare("emporium_x_total", "Xs declared.", MetricType::kCounter);
  const std::string text = e.text();
  EXPECT_EQ(text,
            "# HELP emporium_x_total Xs done.\n"
            "# TYPE emporium_x_total counter\n"
            "emporium_x_total{consumer=\"a\"} 3\n"
            "emporium_x_total{consumer=\"b\"} 4\n"
            "# HELP emporium_y A y.\n"
            "# TYPE emporium_y gauge\n"
            "emporium_y 1.5\n");
  EXPECT_EQ(occurrences(text, "# TYPE emporium_x_total"), 1U);
}

// A family declared with no sample yet still shows its HELP and TYPE, so the
// set of families does not depend on the traffic so far.
TEST(Exposition, ADeclaredFamilyWithoutSamplesIsShown) {
  Exposition e;
  e.declare("emporium_events_handled_total", "Events a consumer handled.", MetricType::kCounter);
  EXPECT_EQ(e.text(),
            "# HELP emporium_events_handled_total Events a consumer handled.\n"
            "# TYPE emporium_events_handled_total counter\n");
  EXPECT_EQ(Exposition().text(), "");
}

TEST(Exposition, TwoTypesForOneFamilyIsABug) {
  Exposition e;
  e.counter("emporium_z", "Zs.", std::uint64_t{1});
  EXPECT_THROW(e.gauge("emporium_z", "Zs.", 1), std::logic_error);
  Histogram h;
  EXPECT_THROW(e.histogram("emporium_z", "Zs.", h), std::logic_error);
  EXPECT_THROW(e.declare("emporium_z", "Zs.", MetricType::kGauge), std::logic_error);
  // The family as first declared is untouched.
  EXPECT_EQ(e.text(), "# HELP emporium_z Zs.\n# TYPE emporium_z counter\nemporium_z 1\n");
}

TEST(Exposition, EscapesLabelValues) {
  EXPECT_EQ(escapeLabel("a\"b\\c\n"), "a\\\"b\\\\c\\n");
  Exposition e;
  e.counter("emporium_r_total", "Rs.", std::uint64_t{1},
            {{"route", "/a/\"{id}\"\\x\ny"}, {"method", "GET"}});
  // HELP escapes backslash and newline only.
  e.gauge("emporium_h", "a \\ b\nc \"d\"", 0);
  const std::string text = e.text();
  EXPECT_NE(text.find("emporium_r_total{route=\"/a/\\\"{id}\\\"\\\\x\\ny\",method=\"GET\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP emporium_h a \\\\ b\\nc \"d\"\n"), std::string::npos) << text;
}

TEST(Exposition, HistogramBucketsAreCumulative) {
  Histogram h;
  h.observe(0.00005);  // <= 0.0001
  h.observe(0.0003);   // <= 0.0005
  h.observe(0.002);    // <= 0.0025
  h.observe(60);       // above every bound
  Exposition e;
  e.histogram("emporium_lag_seconds", "Lag.", h, {{"consumer", "mail"}});
  const std::string text = e.text();
  EXPECT_EQ(
      text.rfind("# HELP emporium_lag_seconds Lag.\n# TYPE emporium_lag_seconds histogram\n", 0),
      0U)
      << text;
  for (const auto* line : {
           R"(emporium_lag_seconds_bucket{consumer="mail",le="0.0001"} 1)",
           R"(emporium_lag_seconds_bucket{consumer="mail",le="0.00025"} 1)",
           R"(emporium_lag_seconds_bucket{consumer="mail",le="0.0005"} 2)",
           R"(emporium_lag_seconds_bucket{consumer="mail",le="0.0025"} 3)",
           R"(emporium_lag_seconds_bucket{consumer="mail",le="10"} 3)",
           R"(emporium_lag_seconds_bucket{consumer="mail",le="+Inf"} 4)",
           R"(emporium_lag_seconds_count{consumer="mail"} 4)",
       }) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(occurrences(text, "_bucket{"), Histogram::kBounds.size() + 1);
  EXPECT_NE(text.find("emporium_lag_seconds_sum{consumer=\"mail\"} 60.00235"), std::string::npos)
      << text;
  // Without labels: `le` alone, and _sum/_count bare.
  Exposition bare;
  bare.histogram("emporium_d_seconds", "D.", Histogram{});
  const std::string empty = bare.text();
  EXPECT_NE(empty.find("emporium_d_seconds_bucket{le=\"+Inf\"} 0\n"), std::string::npos) << empty;
  EXPECT_NE(empty.find("emporium_d_seconds_sum 0\nemporium_d_seconds_count 0\n"), std::string::npos)
      << empty;
}

TEST(Exposition, NumbersAsPrometheusReadsThem) {
  Exposition e;
  e.counter("emporium_big_total", "Big.", std::uint64_t{18446744073709551615ULL});
  e.counter("process_cpu_seconds_total", "CPU.", 0.25);
  e.gauge("emporium_nan", "NaN.", std::numeric_limits<double>::quiet_NaN());
  e.gauge("emporium_inf", "Inf.", -std::numeric_limits<double>::infinity());
  const std::string text = e.text();
  EXPECT_NE(text.find("emporium_big_total 18446744073709551615\n"), std::string::npos) << text;
  EXPECT_NE(text.find("process_cpu_seconds_total 0.25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("emporium_nan NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("emporium_inf -Inf\n"), std::string::npos) << text;
}

// Every collector adds to one Exposition per scrape: a family two
// components add samples to is declared once.
TEST(Exposition, RegistryRendersEveryCollectorIntoOneExposition) {
  Registry r;
  r.add([](Exposition& e) { e.gauge("a", "As.", 1); });
  r.add([](Exposition& e) { e.counter("emporium_b_total", "Bs.", std::uint64_t{2}); });
  r.add([](Exposition& e) {
    e.counter("emporium_b_total", "Bs.", std::uint64_t{5}, {{"k", "v"}});
  });
  const std::string text = r.render();
  EXPECT_EQ(text.rfind("# HELP a As.\n# TYPE a gauge\na 1\n", 0), 0U) << text;
  EXPECT_EQ(occurrences(text, "# TYPE emporium_b_total counter\n"), 1U) << text;
  EXPECT_NE(text.find("emporium_b_total 2\nemporium_b_total{k=\"v\"} 5\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace emporium::metrics
