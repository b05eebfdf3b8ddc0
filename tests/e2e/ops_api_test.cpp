// The operator's endpoints end to end, on both SQL backends (issue 14): who
// may read /metrics, a listener of their own for them (--ops-listen), a
// scrape that `promtool check metrics` accepts, /readyz reporting the card
// provider's breaker, and cached answers counted by the rate limiter.

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::optional<std::string> promtool() {
  for (const char* candidate : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (::access(candidate, X_OK) == 0) return std::string(candidate);
  }
  return std::nullopt;
}

class OpsApiTest : public ShopTest {};

// Issue 14: /metrics was public on the shop port.
TEST_P(OpsApiTest, MetricsAreForLoopbackAndTokenHoldersOnly) {
  // Behind a proxy (X-Forwarded-For trusted), a client's own address counts.
  ASSERT_NE(startServer({{"EMPORIUM_METRICS_TOKEN", "scrape-secret-1"},
                         {"EMPORIUM_HTTP_TRUST_FORWARDED_FOR", "true"}}),
            0);
  const Headers outsider{{"X-Forwarded-For", "203.0.113.9"}};
  const auto refused = call("GET", "/metrics", {}, outsider);
  EXPECT_TRUE(isProblem(refused, 403));
  EXPECT_EQ(refused.body.find("emporium_http_requests_total"), std::string::npos);
  auto with = [&](const std::string& token) {
    Headers h = outsider;
    h["Authorization"] = "Bearer " + token;
    return call("GET", "/metrics", {}, h);
  };
  EXPECT_TRUE(isProblem(with("scrape-secret-2"), 403));
  EXPECT_TRUE(isProblem(with("scrape-secret-"), 403));
  const auto token_holder = with("scrape-secret-1");
  EXPECT_EQ(token_holder.status, 200);
  EXPECT_NE(token_holder.body.find("emporium_http_requests_total"), std::string::npos);
  // A loopback client (an agent on the box) needs no token.
  EXPECT_EQ(call("GET", "/metrics").status, 200);
  // Health stays public: load balancers probe it from anywhere.
  EXPECT_EQ(call("GET", "/healthz", {}, outsider).status, 200);
}

TEST_P(OpsApiTest, OpsListenMovesOpsEndpointsToTheirOwnListener) {
  const fs::path port_file = data_dir_ / "ports";
  ChildProcess server(cmd({"serve", "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0",
                           "--port-file", port_file.string()}),
                      env());
  std::map<std::string, std::uint16_t> ports;
  ASSERT_TRUE(eventually(
      [&] {
        ports = readPortFile(port_file);
        return !ports.empty();
      },
      30s))
      << server.output();
  const std::uint16_t shop = ports["shop"];
  const std::uint16_t ops = ports["ops"];
  ASSERT_NE(shop, 0);
  ASSERT_NE(ops, 0);
  EXPECT_NE(shop, ops);
  for (const char* path : {"/metrics", "/healthz", "/readyz"}) {
    EXPECT_EQ(call("GET", path, {}, {}, ops).status, 200) << path;
    EXPECT_TRUE(isProblem(call("GET", path, {}, {}, shop), 404)) << path;
  }
  EXPECT_EQ(call("GET", "/api/v1/categories", {}, {}, shop).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/categories", {}, {}, ops).status, 404);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(20s), 0) << server.output();
}

// Issue 14: `promtool check metrics` exited 3 (six metrics without HELP,
// payments metrics without the emporium_ prefix).
TEST_P(OpsApiTest, MetricsPassPromtoolCheck) {
  const auto tool = promtool();
  if (!tool) {
    if (required("EMPORIUM_REQUIRE_SERVERS")) FAIL() << "promtool is not installed";
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  }
  // With Redis when the test servers run: its rate-limit and cache families too.
  Headers extra;
  if (const auto redis = emporium::test::env("EMPORIUM_TEST_REDIS_URL")) {
    extra["EMPORIUM_REDIS_URL"] = *redis;
  }
  ASSERT_NE(startServer(extra), 0);
  ASSERT_NO_FATAL_FAILURE(signInAdmin());
  // Traffic that makes every family show up: catalog reads (cache), a
  // readiness run (dependency gauge), a write.
  createProduct("Promtool Lamp", 1999, 3);
  EXPECT_EQ(get("/api/v1/products").status, 200);
  EXPECT_EQ(get("/api/v1/products").status, 200);
  EXPECT_EQ(get("/readyz").status, 200);
  const auto scrape = get("/metrics");
  ASSERT_EQ(scrape.status, 200);
  for (const char* family : {"emporium_payments_provider_breaker_open", "emporium_dependency_up",
                             "emporium_http_requests_total"}) {
    EXPECT_NE(scrape.body.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
  }
  const fs::path file = data_dir_ / "metrics.txt";
  std::ofstream(file) << scrape.body;
  const fs::path report = data_dir_ / "promtool.txt";
  const std::string command =
      *tool + " check metrics < " + file.string() + " > " + report.string() + " 2>&1";
  const int status = std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe): one thread
  std::ifstream in(report);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << "promtool lints:\n" << output;
}

// Issue 14: /readyz said ready while the card provider's breaker was open.
TEST_P(OpsApiTest, ReadyzReportsTheCardProvidersBreaker) {
  const ClosedPort provider;
  ASSERT_NE(provider.port(), 0);
  ASSERT_NE(startServer({{"EMPORIUM_PAYMENT_PROVIDER_URL",
                          "http://127.0.0.1:" + std::to_string(provider.port())}}),
            0);
  ASSERT_NO_FATAL_FAILURE(signInAdmin());
  const auto before = get("/readyz");
  ASSERT_EQ(before.status, 200) << before.body;
  auto d = parseJson(before.body);
  EXPECT_EQ(text(d, "status"), "ready");
  ASSERT_TRUE(d["checks"].HasMember("payment_provider")) << before.body;
  EXPECT_EQ(text(d["checks"]["payment_provider"]["state"], "breaker"), "closed");

  // Card checkouts against a provider that refuses connections open the breaker.
  const auto sku = createProduct("Breaker Lamp", 1000, 50);
  const auto buyer = registerCustomer("breaker@example.com");
  const std::string address =
      R"({"name":"Ada Lovelace","line1":"1 Analytical St","city":"London","postal_code":"N1 9GU","country":"GB"})";
  int attempt = 0;
  ASSERT_TRUE(eventually(
      [&] {
        const std::string cart = text(parseJson(get("/api/v1/me/cart", buyer).body), "id");
        send("POST", "/api/v1/carts/" + cart + "/items",
             "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}", buyer);
        const auto r = send("POST", "/api/v1/orders",
                            "{\"cart_id\":" + jsonQuote(cart) + ",\"shipping_address\":" + address +
                                R"(,"payment":{"method":"card","token":"tok_unreachable"}})",
                            buyer, {{"Idempotency-Key", "breaker-" + std::to_string(++attempt)}});
        EXPECT_GE(r.status, 400) << r.body;
        const auto ready = parseJson(get("/readyz").body);
        return ready.IsObject() && ready.HasMember("checks") &&
               ready["checks"].HasMember("payment_provider") &&
               text(ready["checks"]["payment_provider"], "status") == "down";
      },
      60s));
  const auto after = get("/readyz");
  // Reported, with the breaker's state, but the instance stays in rotation:
  // every instance shares the provider, and browsing and cash orders work.
  EXPECT_EQ(after.status, 200) << after.body;
  d = parseJson(after.body);
  EXPECT_EQ(text(d, "status"), "degraded");
  const auto& provider_check = d["checks"]["payment_provider"];
  EXPECT_FALSE(provider_check["critical"].GetBool());
  EXPECT_NE(text(provider_check["state"], "breaker"), "closed") << after.body;
  const auto metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("emporium_dependency_up{dependency=\"payment_provider\"} 0"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("emporium_dependency_up{dependency=\"database:catalog\"} 1"),
            std::string::npos);
}

// Issue 14: cached catalog answers (served on the event loop) skipped the
// rate limiter, so one address could fetch them without limit.
TEST_P(OpsApiTest, CachedCatalogAnswersCountAgainstTheRateLimit) {
  ASSERT_NE(startServer({{"EMPORIUM_RATE_LIMITS", "true"},
                         {"EMPORIUM_LIMITS_BURST", "20"},
                         {"EMPORIUM_LIMITS_REQUESTS_PER_SECOND", "1"}}),
            0);
  int ok = 0;
  int limited = 0;
  for (int i = 0; i < 60 && limited == 0; ++i) {
    const auto r = get("/api/v1/categories");  // a cache hit from the second call on
    if (r.status == 200) ++ok;
    if (r.status == 429) ++limited;
  }
  EXPECT_EQ(limited, 1);
  EXPECT_LE(ok, 25) << "cache hits were not counted";
}

INSTANTIATE_TEST_SUITE_P(Backends, OpsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);

}  // namespace
}  // namespace emporium::test
