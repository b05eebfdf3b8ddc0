// The API gateway's routes in front of in-process stand-ins for each service
// (real HTTP servers on loopback): which service gets which path, what is
// passed on and back, instances that are down, CORS, the route table against
// docs/api.md.
#include "gateway/gateway_routes.hpp"

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "core/http/auth.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/server.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "e2e/process.hpp"
#include "gateway/compression.hpp"
#include "gateway/route_table.hpp"
#include "support/http_client.hpp"

namespace emporium::gateway {
namespace {

using namespace std::chrono_literals;

// What a stand-in service saw of the last request.
struct Seen {
  std::string method;
  std::string target;
  std::string body;
  std::string authorization;
  std::string forwarded_for;
  std::string budget;
  std::string request_id;
};

// A started server on a free loopback port, quick to stop.
std::unique_ptr<net::HttpServer> serve(const http::Router& router, const log::Logger& logger,
                                       metrics::HttpMetrics& metrics,
                                       std::size_t blocking_threads) {
  net::ServerOptions options;
  options.port = 0;
  options.threads = 1;
  options.blocking_threads = blocking_threads;
  options.access_log = false;
  options.shutdown_grace = 100ms;
  auto server = std::make_unique<net::HttpServer>(options, router, logger, metrics);
  server->start();
  return server;
}

// One stand-in instance: answers every path under /api with its name.
class Backend {
 public:
  explicit Backend(std::string name) : name_(std::move(name)) {
    for (const auto method : {http::Method::kGet, http::Method::kPost, http::Method::kPut,
                              http::Method::kPatch, http::Method::kDelete}) {
      for (const char* pattern : {"/api/v1", "/api/v1/{rest...}"}) {
        router_.add(method, pattern, [this](http::Request& request) {
          {
            const std::lock_guard lock(mutex_);
            seen_ = Seen{std::string(http::methodName(request.method)),
                         std::string(request.target),
                         std::string(request.body),
                         std::string(request.header("Authorization")),
                         std::string(request.header("X-Forwarded-For")),
                         std::string(request.header(http::kBudgetHeader)),
                         std::string(request.request_id)};
            ++calls_;
          }
          if (request.target.find("big=1") != std::string_view::npos) {
            // A page of JSON worth compressing.
            std::string items;
            for (int i = 0; i < 60; ++i) {
              items += std::string(items.empty() ? "" : ",") + R"({"id":)" + std::to_string(i) +
                       R"(,"title":"A product with a long enough title","price":1999})";
            }
            return http::Response::json(201, R"({"items":[)" + items + "]}")
                .withHeader("ETag", "\"v1\"");
          }
          return http::Response::json(201, "{\"service\":\"" + name_ + "\"}")
              .withHeader("ETag", "\"v1\"")
              .withHeader("Location", "/api/v1/things/1")
              .withHeader("Keep-Alive", "timeout=99");  // hop-by-hop: not passed on
        });
      }
    }
    metrics_ = std::make_unique<metrics::HttpMetrics>(router_);
    server_ = serve(router_, logger_, *metrics_, 1);
  }
  ~Backend() { stop(); }
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  void stop() {
    if (server_) server_->stop();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  Seen seen() const {
    const std::lock_guard lock(mutex_);
    return seen_;
  }
  int calls() const {
    const std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::string name_;
  log::Logger logger_{log::Level::kError};
  http::Router router_;
  std::unique_ptr<metrics::HttpMetrics> metrics_;
  std::unique_ptr<net::HttpServer> server_;
  mutable std::mutex mutex_;
  Seen seen_;
  int calls_ = 0;
};

class GatewayTest : public ::testing::Test {
 protected:
  // Every routed service gets a stand-in; catalog two; orders a refusing port.
  void SetUp() override {
    for (const std::string_view name : routedServices()) {
      if (name == "orders") {
        options_.service_urls[std::string(name)] = {"http://127.0.0.1:" +
                                                    std::to_string(down_.port())};
        continue;
      }
      backends_[std::string(name)] = std::make_unique<Backend>(std::string(name));
      options_.service_urls[std::string(name)] = {backends_[std::string(name)]->url() + "/"};
    }
    second_catalog_ = std::make_unique<Backend>("catalog-2");
    options_.service_urls["catalog"].push_back(second_catalog_->url());
    options_.cors_origins = {"https://shop.example"};
    options_.retry_after = 3s;
  }

  /// `configure` runs on the routes before the server takes requests.
  void start(const std::function<void(GatewayRoutes&)>& configure = {}) {
    net::HttpClientOptions client_options;
    client_options.backoff = {1ms, 5ms, resilience::Jitter::kFull};
    client_ = std::make_unique<net::HttpClient>(client_options);
    routes_ = std::make_unique<GatewayRoutes>(options_, *client_);
    if (configure) configure(*routes_);
    routes_->addRoutes(router_);
    metrics_ = std::make_unique<metrics::HttpMetrics>(router_);
    server_ = serve(router_, logger_, *metrics_, 4);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  test::HttpReply send(const std::string& method, const std::string& target,
                       const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {}) {
    return test::httpRequest(server_->port(), method, target, body, headers);
  }

  GatewayOptions options_;
  test::ClosedPort down_;
  std::map<std::string, std::unique_ptr<Backend>> backends_;
  std::unique_ptr<Backend> second_catalog_;
  log::Logger logger_{log::Level::kError};
  http::Router router_;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<GatewayRoutes> routes_;
  std::unique_ptr<metrics::HttpMetrics> metrics_;
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(GatewayTest, EachPathGoesToTheServiceThatOwnsIt) {
  start();
  const std::vector<std::pair<std::string, std::string>> cases{
      {"/api/v1/auth/login", "users"},
      {"/api/v1/me", "users"},
      {"/api/v1/me/addresses/a1", "users"},
      {"/api/v1/me/cart", "cart"},
      {"/api/v1/me/cart/merge", "cart"},
      {"/api/v1/carts/c1/items", "cart"},
      {"/api/v1/admin/inventory/SKU-1", "inventory"},
      {"/api/v1/payments/config", "payments"},
      {"/api/v1/admin/gift-cards", "payments"},
      {"/api/v1/admin/users", "users"}};
  for (const auto& [path, service] : cases) {
    const auto reply = send("POST", path, "{}");
    EXPECT_EQ(reply.status, 201) << path << ": " << reply.body;
    EXPECT_EQ(reply.body, "{\"service\":\"" + service + "\"}") << path;
  }
  // The catalog's two instances take turns.
  std::set<std::string> catalogs;
  for (int i = 0; i < 4; ++i) catalogs.insert(send("GET", "/api/v1/products?page=2").body);
  EXPECT_EQ(catalogs.size(), 2U);
  EXPECT_EQ(backends_["catalog"]->seen().target, "/api/v1/products?page=2");
}

TEST_F(GatewayTest, PassesTheRequestOnAndTheAnswerBack) {
  start();
  const auto reply = send("PATCH", "/api/v1/me?x=%20y", R"({"name":"Ada"})",
                          {{"Authorization", "Bearer abc"},
                           {"Content-Type", "application/json"},
                           {"X-Request-Id", "gw-test-1"},
                           {"X-Emporium-Budget-Ms", "1"},
                           {"Origin", "https://shop.example"}});
  ASSERT_EQ(reply.status, 201) << reply.body;
  const Seen seen = backends_["users"]->seen();
  EXPECT_EQ(seen.method, "PATCH");
  EXPECT_EQ(seen.target, "/api/v1/me?x=%20y");
  EXPECT_EQ(seen.body, R"({"name":"Ada"})");
  EXPECT_EQ(seen.authorization, "Bearer abc");
  EXPECT_EQ(seen.forwarded_for, "127.0.0.1");
  EXPECT_EQ(seen.request_id, "gw-test-1");
  // The client's own budget header is not passed on; the gateway's is.
  ASSERT_FALSE(seen.budget.empty());
  EXPECT_GT(std::stol(seen.budget), 1000);

  EXPECT_EQ(reply.header("etag"), "\"v1\"");
  EXPECT_EQ(reply.header("location"), "/api/v1/things/1");
  EXPECT_EQ(reply.header("x-request-id"), "gw-test-1");
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(reply.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(reply.header("x-frame-options"), "DENY");
  EXPECT_EQ(reply.header("access-control-allow-origin"), "https://shop.example");
  EXPECT_TRUE(reply.header("keep-alive").empty()) << "a hop-by-hop field was passed on";
}

TEST_F(GatewayTest, AServiceThatIsDownIsA503WithRetryAfterAtOnce) {
  start();
  const auto started = std::chrono::steady_clock::now();
  const auto reply = send("POST", "/api/v1/orders", "{}", {{"Idempotency-Key", "k1"}});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "application/problem+json");
  EXPECT_EQ(reply.header("retry-after"), "3");
  EXPECT_NE(reply.body.find("orders"), std::string::npos) << reply.body;
  EXPECT_LT(took, 2s);
  // The other services are not affected.
  EXPECT_EQ(send("GET", "/api/v1/products").status, 201);
}

TEST_F(GatewayTest, AGetMovesOnToAnotherInstanceWhenOneIsDown) {
  start();
  backends_["catalog"]->stop();
  for (int i = 0; i < 6; ++i) {
    const auto reply = send("GET", "/api/v1/products/p1");
    EXPECT_EQ(reply.status, 201) << "request " << i << ": " << reply.body;
    EXPECT_EQ(reply.body, R"({"service":"catalog-2"})");
  }
}

TEST_F(GatewayTest, UnknownPathsAreAnsweredAtTheEdge) {
  start();
  EXPECT_EQ(send("GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(send("GET", "/api/v2/products").status, 404);
  EXPECT_EQ(send("GET", "/api/v1/admin").status, 404);
  int calls = second_catalog_->calls();
  for (const auto& [name, backend] : backends_) calls += backend->calls();
  EXPECT_EQ(calls, 0);
}

TEST_F(GatewayTest, CorsPreflightOnlyForConfiguredOrigins) {
  start();
  const auto allowed =
      send("OPTIONS", "/api/v1/carts/c1/items", {},
           {{"Origin", "https://shop.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.header("access-control-allow-origin"), "https://shop.example");
  EXPECT_NE(allowed.header("access-control-allow-headers").find("Idempotency-Key"),
            std::string::npos);
  const auto refused = send("OPTIONS", "/api/v1/carts", {}, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("Origin"), std::string::npos) << refused.body;
  const auto plain = send("GET", "/api/v1/categories", {}, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(plain.status, 201);
  EXPECT_TRUE(plain.header("access-control-allow-origin").empty());
}

TEST_F(GatewayTest, OptionsNameTheSettingThatIsWrong) {
  options_.service_urls.erase("users");
  options_.service_urls["cart"] = {"http://127.0.0.1:1/api"};
  options_.cors_origins = {"*"};
  const auto problems = validate(options_);
  const auto has = [&](const std::string& text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("services.users.urls")) << ::testing::PrintToString(problems);
  EXPECT_TRUE(has("services.cart.urls")) << ::testing::PrintToString(problems);
  EXPECT_TRUE(has("gateway.cors_origins")) << ::testing::PrintToString(problems);
  net::HttpClient client;
  EXPECT_THROW(GatewayRoutes(options_, client), std::invalid_argument);
}

// Every API path a service's source names (its routes, its Location
// prefixes) has an owner in the gateway's table: a new prefix cannot be added
// to a service and forgotten at the edge.
// The JSON body a gzip answer holds (zlib, as a browser would).
std::string gunzip(const std::string& packed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return {};
  std::string out(packed.size() * 20 + 1024, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  stream.avail_in = static_cast<uInt>(packed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = inflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return result == Z_STREAM_END ? out : std::string();
}

// The JSON body a brotli answer holds (libbrotlidec, as a browser would).
std::string unbrotli(const std::string& packed) {
  std::string out(packed.size() * 40 + 4096, '\0');
  std::size_t size = out.size();
  if (BrotliDecoderDecompress(packed.size(), reinterpret_cast<const std::uint8_t*>(packed.data()),
                              &size, reinterpret_cast<std::uint8_t*>(out.data())) !=
      BROTLI_DECODER_RESULT_SUCCESS) {
    return {};
  }
  out.resize(size);
  return out;
}

// Issue 15 part 3: JSON is compressed at the edge for clients that accept it,
// brotli when they take it as readily as gzip; small answers and clients that
// refuse both get identity. The services never see Accept-Encoding: the
// gateway picks the encoding.
TEST_F(GatewayTest, LargeJsonIsGzippedForClientsThatAcceptIt) {
  start();
  const auto plain = send("GET", "/api/v1/products?big=1");
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_TRUE(plain.header("content-encoding").empty());
  ASSERT_GT(plain.body.size(), 2000U);
  EXPECT_EQ(plain.header("etag"), "\"v1\"");

  const auto packed =
      send("GET", "/api/v1/products?big=1", {}, {{"Accept-Encoding", "br;q=0.5, GZIP;q=0.8"}});
  ASSERT_EQ(packed.status, 201);
  EXPECT_EQ(packed.header("content-encoding"), "gzip");
  EXPECT_NE(packed.header("vary").find("Accept-Encoding"), std::string::npos);
  EXPECT_EQ(packed.header("etag"), "W/\"v1\"") << "another representation, a weak validator";
  EXPECT_LT(packed.body.size(), plain.body.size() / 4);
  EXPECT_EQ(gunzip(packed.body), plain.body);

  for (const char* accept : {"gzip, deflate, br", "br", "br;q=1.0, gzip;q=0.8", "*"}) {
    const auto reply = send("GET", "/api/v1/products?big=1", {}, {{"Accept-Encoding", accept}});
    EXPECT_EQ(reply.header("content-encoding"), "br") << accept;
    EXPECT_EQ(reply.header("etag"), "W/\"v1\"") << accept;
    EXPECT_LT(reply.body.size(), packed.body.size()) << "brotli packs JSON tighter than gzip";
    EXPECT_EQ(unbrotli(reply.body), plain.body) << accept;
  }
  for (const char* refused : {"gzip;q=0", "identity", "br;q=0", "gzip; q=0.000, br;q=0.0"}) {
    const auto reply = send("GET", "/api/v1/products?big=1", {}, {{"Accept-Encoding", refused}});
    EXPECT_TRUE(reply.header("content-encoding").empty()) << refused;
    EXPECT_EQ(reply.body, plain.body) << refused;
  }
  const auto small = send("GET", "/api/v1/products", {}, {{"Accept-Encoding", "gzip"}});
  EXPECT_TRUE(small.header("content-encoding").empty()) << "too small to be worth it";
  EXPECT_TRUE(acceptsGzip("deflate, *;q=0.5"));
  EXPECT_FALSE(acceptsGzip(""));
  EXPECT_EQ(preferredCoding("gzip;q=1, *;q=0.5"), Coding::kGzip);
  EXPECT_EQ(preferredCoding("br;q=0, *"), Coding::kGzip);
  EXPECT_EQ(preferredCoding("deflate"), Coding::kIdentity);
  EXPECT_EQ(preferredCoding("x-gzip"), Coding::kGzip);
  EXPECT_EQ(preferredCoding("br;q=0.001"), Coding::kBrotli);
  EXPECT_EQ(preferredCoding("br;q=0.5, gzip;q=0.501"), Coding::kGzip);
  // Malformed weights accept nothing (RFC 9110 qvalue: 0 to 1, three decimals).
  for (const char* malformed : {"br;q=nan, gzip;q=0", "br;q=1.5", "br;q=-1", "br;q=0.0001",
                                "br;q=inf", "br;q=0x1", "br;q=1e0", "br;q="}) {
    EXPECT_EQ(preferredCoding(malformed), Coding::kIdentity) << malformed;
  }
}

// Tokens as the users service's JWKS would judge them: two accounts, a
// token that does not verify, and one met while the keys cannot be had.
class FakeTokens final : public http::Authenticator {
 public:
  std::optional<http::Principal> verify(std::string_view token) const override {
    if (token == "tok-ada") return http::Principal{"usr_ada", "customer", "jti-a"};
    if (token == "tok-bob") return http::Principal{"usr_bob", "customer", "jti-b"};
    if (token == "tok-keys-away") throw std::runtime_error("no JWKS");
    return std::nullopt;
  }
};

// Issue 15 part 3: per-account limits at the edge. A signed-in account over
// its bucket is 429 with Retry-After before any service is asked; others,
// anonymous callers, tokens that do not verify (the service answers for
// those: a stale token on a public route is ignored there) and tokens met
// while the keys cannot be had pass through.
TEST_F(GatewayTest, AnAccountOverItsLimitIs429AtTheEdge) {
  const FakeTokens tokens;
  const auto limiter = ratelimit::makeRateLimiter(std::nullopt);
  start([&](GatewayRoutes& routes) { routes.limitAccounts(tokens, *limiter, {2, 0.001}); });
  const auto as = [&](const std::string& token) {
    return send("GET", "/api/v1/me", {}, {{"Authorization", "Bearer " + token}});
  };
  EXPECT_EQ(as("tok-ada").status, 201);
  EXPECT_EQ(as("tok-ada").status, 201);
  const int calls = backends_["users"]->calls();
  const auto refused = as("tok-ada");
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("content-type"), "application/problem+json");
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_NE(refused.body.find("account"), std::string::npos) << refused.body;
  EXPECT_EQ(backends_["users"]->calls(), calls) << "the refused request reached a service";
  EXPECT_EQ(as("tok-bob").status, 201) << "another account has its own bucket";
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(as("not-a-token").status, 201);
    EXPECT_EQ(as("tok-keys-away").status, 201);
    EXPECT_EQ(send("GET", "/api/v1/me").status, 201);
  }
}

TEST(GatewayRouteTable, EveryPathTheServicesServeHasAnOwner) {
  const std::regex literal(R"re("(/api/v1[A-Za-z0-9_/{}.-]*)")re");
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(EMPORIUM_SERVICES_DIR)) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    const std::string source = text.str();
    for (auto it = std::sregex_iterator(source.begin(), source.end(), literal);
         it != std::sregex_iterator(); ++it) {
      const std::string path = (*it)[1];
      EXPECT_TRUE(ownerOf(path).has_value())
          << path << " (" << entry.path().filename().string() << ") has no owning service";
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
  EXPECT_EQ(ownerOf("/api/v1/me/cart/merge"), "cart");
  EXPECT_EQ(ownerOf("/api/v1/me/addresses"), "users");
  EXPECT_EQ(ownerOf("/api/v1/products/"), "catalog");
  EXPECT_FALSE(ownerOf("/api/v1/admin").has_value());
  EXPECT_FALSE(ownerOf("/api/v1/productsX").has_value());
}

}  // namespace
}  // namespace emporium::gateway
