// The emporium binary end to end, on both SQL backends: what a new user or an
// operator sees from the command line and over HTTP.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>
#include <sstream>

#include "e2e/process.hpp"
#include "support/http_client.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

enum class Backend { kSqlite, kPostgres };

class BinaryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto setup = prepareBackend(GetParam() == Backend::kPostgres, "e2e");
    if (!setup) {
      if (required("EMPORIUM_REQUIRE_POSTGRES")) FAIL() << "EMPORIUM_TEST_POSTGRES_URL is not set";
      GTEST_SKIP() << "EMPORIUM_TEST_POSTGRES_URL not set";
    }
    data_dir_ = setup->data_dir;
    env_ = setup->env;
  }
  void TearDown() override { releaseBackend(data_dir_, env_); }

  std::vector<std::string> cmd(std::initializer_list<std::string> args) const {
    std::vector<std::string> v{EMPORIUM_BINARY};
    v.insert(v.end(), args);
    return v;
  }

  std::unique_ptr<ChildProcess> serve(std::map<std::string, std::string> extra = {}) {
    auto e = env_;
    for (auto& [k, v] : extra) e[k] = v;
    auto served = startServe(EMPORIUM_BINARY, {}, e);
    port_ = served.port;
    if (port_ == 0) ADD_FAILURE() << "emporium did not become healthy:\n" << served.child->output();
    return std::move(served.child);
  }

  fs::path data_dir_;
  std::map<std::string, std::string> env_;
  std::uint16_t port_ = 0;
};

rapidjson::Document parseJson(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

TEST_P(BinaryTest, ServesOpsEndpointsAndApiRoot) {
  auto server = serve();
  const auto health = httpRequest(port_, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");

  const auto ready = httpRequest(port_, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  const auto r = parseJson(ready.body);
  EXPECT_STREQ(r["checks"]["database:users"]["status"].GetString(), "up");

  const auto root = parseJson(httpRequest(port_, "GET", "/api/v1").body);
  EXPECT_STREQ(root["name"].GetString(), "emporium");
  EXPECT_STREQ(root["database"].GetString(),
               GetParam() == Backend::kSqlite ? "sqlite" : "postgresql");

  const auto metrics = httpRequest(port_, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("content-type").rfind("text/plain; version=0.0.4", 0), 0U);
  EXPECT_NE(metrics.body.find(
                R"(emporium_http_requests_total{route="/healthz",method="GET",status="200"} )"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("emporium_http_request_duration_seconds_bucket{route=\"/readyz\""),
            std::string::npos);
  EXPECT_NE(metrics.body.find("emporium_http_requests_in_flight"), std::string::npos);
  EXPECT_NE(metrics.body.find("emporium_auth_key_reload_failures_total 0"), std::string::npos);
  EXPECT_NE(metrics.body.find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(emporium_db_pool_connections{service="users",state="open"})"),
            std::string::npos);

  server->signal(SIGTERM);
  EXPECT_EQ(server->wait(15s), 0) << server->output();
}

TEST_P(BinaryTest, ErrorsAreProblemJsonWithRequestId) {
  auto server = serve();
  const auto missing =
      httpRequest(port_, "GET", "/api/v1/nothing-here", "", {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("content-type"), "application/problem+json");
  EXPECT_EQ(missing.header("x-request-id"), "trace-42");
  const auto d = parseJson(missing.body);
  for (const char* member : {"type", "title", "status", "detail"})
    EXPECT_TRUE(d.HasMember(member)) << member;
  EXPECT_STREQ(d["request_id"].GetString(), "trace-42");

  const auto wrong = httpRequest(port_, "POST", "/healthz");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("content-type"), "application/problem+json");

  // Refused from the declared length alone, before any of the body is read.
  HttpConnection conn("127.0.0.1", port_);
  conn.sendRaw("POST /api/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n");
  const auto big = conn.readReply();
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(big->header("content-type"), "application/problem+json");
}

TEST_P(BinaryTest, AccessLogIsJsonLinesCarryingTheRequestId) {
  auto server = serve({{"EMPORIUM_LOG_LEVEL", "info"}});
  httpRequest(port_, "GET", "/healthz", "", {{"X-Request-Id", "log-me-7"}});
  server->signal(SIGTERM);
  ASSERT_EQ(server->wait(15s), 0);
  const auto out = server->output();
  bool found = false;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    ASSERT_FALSE(d.HasParseError()) << "not a JSON line: " << line;
    if (d.HasMember("request_id") && std::string(d["request_id"].GetString()) == "log-me-7") {
      found = true;
      EXPECT_STREQ(d["msg"].GetString(), "request");
      EXPECT_EQ(d["status"].GetInt(), 200);
      EXPECT_STREQ(d["level"].GetString(), "info");
    }
  }
  EXPECT_TRUE(found) << out;
}

// Issue 14: start-up logged "mail sent over SMTP" before any mail, and the
// warning that signing keys are stored in clear had no test.
TEST_P(BinaryTest, StartUpSaysWhatItWillDoAndWarnsWithoutAKeyEncryptionKey) {
  auto server =
      serve({{"EMPORIUM_LOG_LEVEL", "info"}, {"EMPORIUM_SMTP_URL", "smtp://127.0.0.1:9"}});
  server->signal(SIGTERM);
  ASSERT_EQ(server->wait(15s), 0);
  const auto out = server->output();
  EXPECT_NE(out.find(R"("msg":"mail will be sent over SMTP")"), std::string::npos) << out;
  EXPECT_EQ(out.find(R"("msg":"mail sent over SMTP")"), std::string::npos) << out;
  EXPECT_NE(out.find("no key-encryption key"), std::string::npos) << out;

  server = serve(
      {{"EMPORIUM_LOG_LEVEL", "info"}, {"EMPORIUM_KEY_ENCRYPTION_KEY", std::string(64, 'a')}});
  server->signal(SIGTERM);
  ASSERT_EQ(server->wait(15s), 0);
  const auto sealed = server->output();
  EXPECT_EQ(sealed.find("no key-encryption key"), std::string::npos) << sealed;
  EXPECT_NE(sealed.find(R"("msg":"mail written as .eml files)"), std::string::npos) << sealed;
}

TEST_P(BinaryTest, InvalidOptionsStopStartupWithOneLineNamingTheOption) {
  const auto bad_listen = runProcess(cmd({"serve", "--listen", "nowhere"}), env_);
  EXPECT_EQ(bad_listen.exit_code, 2);
  EXPECT_NE(bad_listen.output.find("--listen"), std::string::npos) << bad_listen.output;
  EXPECT_EQ(std::count(bad_listen.output.begin(), bad_listen.output.end(), '\n'), 1);

  auto e = env_;
  e["EMPORIUM_HTTP_MAX_BODY_BYTES"] = "lots";
  const auto bad_env = runProcess(cmd({"serve"}), e);
  EXPECT_EQ(bad_env.exit_code, 2);
  EXPECT_NE(bad_env.output.find("EMPORIUM_HTTP_MAX_BODY_BYTES"), std::string::npos);

  e = env_;
  e["EMPORIUM_REDIS_URL"] = "not-a-url";
  const auto bad_url = runProcess(cmd({"serve"}), e);
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_NE(bad_url.output.find("EMPORIUM_REDIS_URL"), std::string::npos);
}

TEST_P(BinaryTest, MigrateAppliesOnceAndUserCreateWorks) {
  const auto first = runProcess(cmd({"migrate"}), env_);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  // Issue 14: it said "up to date" while applying; it names what it applied.
  EXPECT_NE(first.output.find("users: applied "), std::string::npos) << first.output;
  EXPECT_EQ(first.output.find("up to date"), std::string::npos) << first.output;
  const auto second = runProcess(cmd({"migrate"}), env_);
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_NE(second.output.find("users: up to date at version "), std::string::npos)
      << second.output;
  EXPECT_EQ(second.output.find("applied"), std::string::npos) << second.output;

  const auto created = runProcess(cmd({"user", "create", "--admin", "--email", "Admin@Example.com",
                                       "--password", "s3cret-pass"}),
                                  env_);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_NE(created.output.find("created admin"), std::string::npos);

  const auto duplicate = runProcess(
      cmd({"user", "create", "--email", "admin@example.COM", "--password", "another-pass"}), env_);
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_NE(duplicate.output.find("already exists"), std::string::npos);

  const auto weak =
      runProcess(cmd({"user", "create", "--email", "x@example.com", "--password", "short"}), env_);
  EXPECT_NE(weak.exit_code, 0);
  EXPECT_NE(weak.output.find("--password"), std::string::npos);
}

// Issue 14: seed said "240 categories" for a tree of 312. It names both the
// leaf categories products go to and the size of the tree it made.
TEST_P(BinaryTest, SeedNamesTheLeafCategoriesAndTheWholeTree) {
  const auto seeded = runProcess(cmd({"seed", "--products", "60"}), env_);
  ASSERT_EQ(seeded.exit_code, 0) << seeded.output;
  const std::regex line(
      R"(seeded 60 products \(ids 1-60\), \d+ variants, \d+ reviews in (\d+) leaf categories of a new tree of (\d+) categories)");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(seeded.output, match, line)) << seeded.output;
  const int leaves = std::stoi(match[1].str());
  const int tree = std::stoi(match[2].str());
  EXPECT_GT(leaves, 0);
  EXPECT_GT(tree, leaves) << "a tree has inner categories besides its leaves";
  // Seeding again appends to the same tree: no new categories are claimed.
  const auto again = runProcess(cmd({"seed", "--products", "10"}), env_);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("new tree"), std::string::npos) << again.output;
}

TEST(BinarySqlite, ChangedAppliedMigrationStopsStartup) {
  const auto dir = fs::temp_directory_path() / ("emporium-e2e-mig-" + randomSuffix());
  const std::map<std::string, std::string> e{{"EMPORIUM_DATA_DIR", dir.string()}};
  ASSERT_EQ(runProcess({EMPORIUM_BINARY, "migrate"}, e).exit_code, 0);
  // Simulate a migration file edited after it ran: the recorded checksum no longer matches.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "users.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const auto result = runProcess({EMPORIUM_BINARY, "serve", "--listen", "127.0.0.1:0"}, e);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("0001_create_users.sql"), std::string::npos) << result.output;
  fs::remove_all(dir);
}

TEST(BinaryHelp, ExplainsEachCommand) {
  const auto help = runProcess({EMPORIUM_BINARY, "--help"}, {});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word : {"serve", "migrate", "user"}) {
    EXPECT_NE(help.output.find(word), std::string::npos) << word;
  }
  const auto serve_help = runProcess({EMPORIUM_BINARY, "serve", "--help"}, {});
  EXPECT_NE(serve_help.output.find("--listen"), std::string::npos);
  EXPECT_NE(serve_help.output.find("--data-dir"), std::string::npos);
  EXPECT_NE(serve_help.output.find("--config"), std::string::npos);
}

TEST_P(BinaryTest, ServeHelpListsEveryTarget) {
  const auto help = runProcess({EMPORIUM_BINARY, "serve", "--help"}, env_);
  EXPECT_EQ(help.exit_code, 0);
  for (const std::string target :
       {"all", "api", "worker", "payment-sandbox", "users", "catalog", "inventory", "cart",
        "orders", "payments", "notifications", "gateway"}) {
    // One line each: the name, then what it runs.
    const std::regex line("\n +" + target + " +[a-z]");
    EXPECT_TRUE(std::regex_search(help.output, line)) << target << " not listed:\n" << help.output;
  }
}

TEST_P(BinaryTest, TargetCatalogServesCatalogOnly) {
  auto server = serve({{"EMPORIUM_TARGET", "catalog"}});
  ASSERT_NE(port_, 0);
  EXPECT_EQ(httpRequest(port_, "GET", "/api/v1/products").status, 200);
  EXPECT_EQ(httpRequest(port_, "GET", "/api/v1/categories").status, 200);
  // Other services' routes are not here, though users and inventory run in
  // process for the catalog (reviewer names, stock).
  EXPECT_EQ(httpRequest(port_, "GET", "/api/v1/orders").status, 404);
  EXPECT_EQ(httpRequest(port_, "GET", "/api/v1/cart").status, 404);
  EXPECT_EQ(httpRequest(port_, "POST", "/api/v1/auth/login", "{}").status, 404);
  const auto root = parseJson(httpRequest(port_, "GET", "/api/v1").body);
  EXPECT_STREQ(root["target"].GetString(), "catalog");
  // Only the catalog's databases and those of what it needs were created.
  EXPECT_EQ(serviceDatabases(data_dir_, env_),
            (std::vector<std::string>{"activity", "catalog", "inventory", "users"}));
  server->signal(SIGTERM);
  EXPECT_EQ(server->wait(15s), 0) << server->output();
}

// Inventory's internal routes (what inventory::RemoteClient calls) exist
// only when the deployment has a service credential, and need it; the
// catalog, which runs inventory in process for stock, serves none of them.
TEST_P(BinaryTest, InternalRoutesNeedTheServiceCredential) {
  const std::string secret = "e2e-service-credential-0123456789abcdef";
  const std::string count = "/internal/v1/inventory/count";
  {
    auto server = serve({{"EMPORIUM_TARGET", "inventory"}});
    ASSERT_NE(port_, 0);
    EXPECT_EQ(httpRequest(port_, "GET", count).status, 404) << "no credential: not mounted";
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait(15s), 0) << server->output();
  }
  {
    auto server = serve({{"EMPORIUM_TARGET", "catalog"}, {"EMPORIUM_SERVICE_SECRET", secret}});
    ASSERT_NE(port_, 0);
    EXPECT_EQ(httpRequest(port_, "GET", count, "", {{"X-Emporium-Service-Secret", secret}}).status,
              404);
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait(15s), 0) << server->output();
  }
  auto server = serve({{"EMPORIUM_TARGET", "inventory"}, {"EMPORIUM_SERVICE_SECRET", secret}});
  ASSERT_NE(port_, 0);
  const auto refused = httpRequest(port_, "GET", count);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("X-Emporium-Service-Secret"), std::string::npos) << refused.body;
  const auto answered =
      httpRequest(port_, "GET", count, "", {{"X-Emporium-Service-Secret", secret}});
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.body, R"({"count":0})");
  server->signal(SIGTERM);
  EXPECT_EQ(server->wait(15s), 0) << server->output();
}

TEST_P(BinaryTest, TargetGatewayNamesTheServiceUrlItLacks) {
  auto e = env_;
  e["EMPORIUM_TARGET"] = "gateway";
  const auto gateway = runProcess({EMPORIUM_BINARY, "serve", "--listen", "127.0.0.1:0"}, e);
  EXPECT_EQ(gateway.exit_code, 2) << gateway.output;
  EXPECT_NE(gateway.output.find("services."), std::string::npos) << gateway.output;
  EXPECT_NE(gateway.output.find("EMPORIUM_SERVICE_"), std::string::npos) << gateway.output;
  // An unknown target: the option named, the valid ones listed.
  const auto unknown =
      runProcess({EMPORIUM_BINARY, "serve", "--listen", "127.0.0.1:0", "--target", "shop"}, env_);
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("--target"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("all, api, worker, payment-sandbox, gateway, users, inventory"),
            std::string::npos)
      << unknown.output;
  EXPECT_TRUE(serviceDatabases(data_dir_, env_).empty());
}

// The gateway in front of a shop that serves every service: the API works
// through it as it does direct, and when the shop stops the gateway answers
// 503 with Retry-After at once instead of hanging or failing with a 5xx of
// its own making.
TEST_P(BinaryTest, TheGatewayServesTheApiThroughTheServicesAndSaysWhenOneIsDown) {
  auto shop = serve();
  ASSERT_NE(port_, 0);
  const std::string shop_url = "http://127.0.0.1:" + std::to_string(port_);
  std::map<std::string, std::string> gateway_env{
      {"EMPORIUM_TARGET", "gateway"},
      {"EMPORIUM_LOG_LEVEL", "warn"},
      {"EMPORIUM_DATA_DIR", (data_dir_ / "gw").string()}};
  for (const char* service : {"USERS", "CATALOG", "INVENTORY", "CART", "ORDERS", "PAYMENTS"}) {
    gateway_env[std::string("EMPORIUM_SERVICE_") + service + "_URLS"] = shop_url;
  }
  auto gateway = startServe(EMPORIUM_BINARY, {}, gateway_env);
  ASSERT_NE(gateway.port, 0) << gateway.child->output();
  const std::uint16_t edge = gateway.port;

  EXPECT_EQ(httpRequest(edge, "GET", "/api/v1/products").status, 200);
  EXPECT_EQ(httpRequest(edge, "GET", "/api/v1/categories").status, 200);
  const auto registered =
      httpRequest(edge, "POST", "/api/v1/auth/register",
                  R"({"email":"edge@example.com","password":"correct horse 42","name":"Edge"})",
                  {{"Content-Type", "application/json"}});
  ASSERT_EQ(registered.status, 201) << registered.body;
  const auto body = parseJson(registered.body);
  ASSERT_TRUE(body.HasMember("access_token")) << registered.body;
  const std::string token = body["access_token"].GetString();
  const auto me =
      httpRequest(edge, "GET", "/api/v1/me", {}, {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.header("x-content-type-options"), "nosniff");
  const auto cart =
      httpRequest(edge, "POST", "/api/v1/carts", "{}",
                  {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  EXPECT_EQ(cart.status, 201) << cart.body;
  EXPECT_EQ(httpRequest(edge, "GET", "/api/v1/nowhere").status, 404);
  const auto metrics = httpRequest(edge, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("emporium_gateway_requests_total{service=\"catalog\",outcome="
                              "\"answered\"} 2"),
            std::string::npos)
      << metrics.body;

  shop->signal(SIGTERM);
  ASSERT_EQ(shop->wait(15s), 0) << shop->output();
  const auto started = std::chrono::steady_clock::now();
  const auto down = httpRequest(edge, "GET", "/api/v1/products");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(down.header("content-type"), "application/problem+json");
  EXPECT_FALSE(down.header("retry-after").empty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  gateway.child->signal(SIGTERM);
  EXPECT_EQ(gateway.child->wait(15s), 0) << gateway.child->output();
}

// api only publishes events and worker only consumes them: without RabbitMQ
// to carry them between the two, that is a configuration error (exit 2, not 1).
TEST_P(BinaryTest, TargetApiOrWorkerWithoutAmqpIsAConfigurationError) {
  for (const char* target : {"api", "worker"}) {
    auto e = env_;
    e.erase("EMPORIUM_AMQP_URL");
    const auto result =
        runProcess({EMPORIUM_BINARY, "serve", "--listen", "127.0.0.1:0", "--target", target}, e);
    EXPECT_EQ(result.exit_code, 2) << target << ": " << result.output;
    EXPECT_NE(result.output.find("amqp.url"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("EMPORIUM_AMQP_URL"), std::string::npos) << result.output;
  }
  EXPECT_TRUE(serviceDatabases(data_dir_, env_).empty());
}

// /readyz against the real Redis, RabbitMQ and SMTP servers the test harness starts.
TEST(BinaryReadiness, ChecksEveryConfiguredServer) {
  const auto redis = env("EMPORIUM_TEST_REDIS_URL");
  const auto amqp = env("EMPORIUM_TEST_AMQP_URL");
  const auto smtp = env("EMPORIUM_TEST_SMTP_URL");
  if (!redis || !amqp || !smtp) {
    if (required("EMPORIUM_REQUIRE_SERVERS")) FAIL() << "test servers are not configured";
    GTEST_SKIP() << "run under scripts/with-test-servers.sh";
  }
  const auto dir = fs::temp_directory_path() / ("emporium-e2e-ready-" + randomSuffix());
  std::map<std::string, std::string> e{{"EMPORIUM_DATA_DIR", dir.string()},
                                       {"EMPORIUM_LOG_LEVEL", "error"},
                                       {"EMPORIUM_REDIS_URL", *redis},
                                       {"EMPORIUM_AMQP_URL", *amqp},
                                       {"EMPORIUM_SMTP_URL", *smtp}};
  {
    auto served = startServe(EMPORIUM_BINARY, {}, e);
    auto& server = *served.child;
    const auto port = served.port;
    ASSERT_NE(port, 0) << server.output();
    const auto ready = httpRequest(port, "GET", "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    const auto d = parseJson(ready.body);
    for (const char* dep : {"redis", "amqp", "smtp", "database:users"}) {
      EXPECT_STREQ(d["checks"][dep]["status"].GetString(), "up") << dep << ": " << ready.body;
    }
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait(15s), 0);
  }
  // The same with Redis pointed at a port where nothing listens: 503, naming it.
  const ClosedPort no_redis;
  e["EMPORIUM_REDIS_URL"] = "redis://127.0.0.1:" + std::to_string(no_redis.port());
  {
    auto served = startServe(EMPORIUM_BINARY, {}, e);
    const auto port = served.port;
    ASSERT_NE(port, 0) << served.child->output();
    const auto ready = httpRequest(port, "GET", "/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_EQ(ready.header("content-type"), "application/problem+json");
    const auto d = parseJson(ready.body);
    EXPECT_STREQ(d["checks"]["redis"]["status"].GetString(), "down");
    EXPECT_STREQ(d["checks"]["amqp"]["status"].GetString(), "up");
    EXPECT_NE(std::string(d["detail"].GetString()).find("redis"), std::string::npos);
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, BinaryTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) {
                           return info.param == Backend::kSqlite ? std::string("Sqlite")
                                                                 : std::string("Postgres");
                         });

}  // namespace
}  // namespace emporium::test
