#include "core/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include "core/http/router.hpp"

namespace emporium::metrics {
namespace {

TEST(Metrics, CountsPerRouteAndStatusWithCumulativeBuckets) {
  http::Router router;
  router.add(http::Method::kGet, "/a/{id}", [](http::Request&) { return http::Response{}; });
  HttpMetrics m(router);
  m.record(0, 200, 0.0003);
  m.record(0, 200, 0.002);
  m.record(0, 404, 0.00005);
  m.record(m.unmatchedSlot(), 404, 0.001);
  const std::string out = textOf([&m](Exposition& e) { m.collect(e); });
  EXPECT_NE(
      out.find(R"(emporium_http_requests_total{route="/a/{id}",method="GET",status="200"} 2)"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find(R"(emporium_http_requests_total{route="unmatched",method="",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(
      out.find(
          R"(emporium_http_request_duration_seconds_bucket{route="/a/{id}",method="GET",le="0.0005"} 2)"),
      std::string::npos);
  EXPECT_NE(
      out.find(
          R"(emporium_http_request_duration_seconds_bucket{route="/a/{id}",method="GET",le="+Inf"} 3)"),
      std::string::npos);
  EXPECT_NE(
      out.find(R"(emporium_http_request_duration_seconds_count{route="/a/{id}",method="GET"} 3)"),
      std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) { EXPECT_EQ(escapeLabel("a\"b\\c\n"), "a\\\"b\\\\c\\n"); }

TEST(Metrics, RegistryConcatenatesCollectors) {
  Registry r;
  r.add([](Exposition& out) { out.gauge("a", "first", 1); });
  r.add([](Exposition& out) { collectProcessMetrics(out, 1.5); });
  const auto text = r.render();
  EXPECT_EQ(text.rfind("# HELP a first\n# TYPE a gauge\na 1\n", 0), 0U) << text;
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("process_start_time_seconds 1.5"), std::string::npos);
}

}  // namespace
}  // namespace emporium::metrics
