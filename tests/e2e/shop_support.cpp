#include "e2e/shop_support.hpp"

#include "e2e/services_shop.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>

#include <thread>

namespace emporium::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {
constexpr char kAdminEmail[] = "admin@example.com";
constexpr char kAdminPassword[] = "admin-secret-1";
}  // namespace

rapidjson::Document parseJson(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

std::string text(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject() || !object.HasMember(member) || !object[member].IsString()) {
    ADD_FAILURE() << "no string member " << member;
    return {};
  }
  return {object[member].GetString(), object[member].GetStringLength()};
}

std::int64_t integer(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject() || !object.HasMember(member) || !object[member].IsInt64()) {
    ADD_FAILURE() << "no integer member " << member;
    return -1;
  }
  return object[member].GetInt64();
}

std::int64_t amount(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject() || !object.HasMember(member) || !object[member].IsObject()) {
    ADD_FAILURE() << "no money member " << member;
    return -1;
  }
  return integer(object[member], "amount");
}

std::string jsonQuote(const std::string& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

::testing::AssertionResult isProblem(const HttpReply& r, int status) {
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "status " << r.status << ", expected " << status << ": " << r.body;
  }
  if (r.header("content-type") != kProblemJson) {
    return ::testing::AssertionFailure() << "content-type '" << r.header("content-type") << "'";
  }
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (d.HasParseError() || !d.IsObject()) {
    return ::testing::AssertionFailure() << "not a JSON object: " << r.body;
  }
  for (const char* member : {"type", "title", "detail"}) {
    if (!d.HasMember(member) || !d[member].IsString()) {
      return ::testing::AssertionFailure() << "no string '" << member << "': " << r.body;
    }
  }
  if (!d.HasMember("status") || !d["status"].IsInt() || d["status"].GetInt() != status) {
    return ::testing::AssertionFailure() << "body status does not match: " << r.body;
  }
  return ::testing::AssertionSuccess();
}

Fields errorFields(const HttpReply& r) {
  Fields fields;
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("errors") || !d["errors"].IsArray()) {
    return fields;
  }
  for (const auto& e : d["errors"].GetArray()) {
    if (e.IsObject() && e.HasMember("field") && e["field"].IsString()) {
      fields.insert(e["field"].GetString());
      EXPECT_TRUE(e.HasMember("message") && e["message"].IsString()) << r.body;
    }
  }
  return fields;
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

std::string backendTestName(const ::testing::TestParamInfo<Backend>& info) {
  switch (info.param) {
    case Backend::kSqlite:
      return "Sqlite";
    case Backend::kPostgres:
      return "Postgres";
    case Backend::kServices:
      return "Services";
  }
  return "Unknown";
}

ShopBackend prepareShopBackend(Backend backend, const std::string& prefix) {
  ShopBackend shop;
  shop.setup = prepareBackend(backend != Backend::kSqlite, prefix);
  if (!shop.setup) {
    shop.required_flag = "EMPORIUM_REQUIRE_POSTGRES";
    shop.missing = "EMPORIUM_TEST_POSTGRES_URL is not set";
    return shop;
  }
  if (backend != Backend::kServices) return shop;
  const auto topology = servicesTopologyEnv();
  if (!topology) {
    releaseBackend(shop.setup->data_dir, shop.setup->env);
    shop.setup.reset();
    shop.required_flag = "EMPORIUM_REQUIRE_SERVERS";
    shop.missing = "the services topology needs RabbitMQ: EMPORIUM_TEST_AMQP_URL is not set";
    return shop;
  }
  shop.setup->env.insert(topology->begin(), topology->end());
  return shop;
}

void ShopTest::SetUp() {
  auto backend = prepareShopBackend(GetParam(), "e2e_shop");
  if (!backend.setup) {
    if (required(backend.required_flag)) FAIL() << backend.missing;
    GTEST_SKIP() << backend.missing;
  }
  data_dir_ = backend.setup->data_dir;
  env_ = backend.setup->env;
  env_["EMPORIUM_RATE_LIMITS"] = "off";
  env_["EMPORIUM_SANDBOX_SECRET"] = kSandboxSecret;
}

void ShopTest::TearDown() {
  stopServers(false);
  releaseBackend(data_dir_, env_);
}

std::vector<std::string> ShopTest::cmd(std::initializer_list<std::string> args) const {
  std::vector<std::string> v{EMPORIUM_BINARY};
  v.insert(v.end(), args);
  return v;
}

std::uint16_t ShopTest::startServer(const Headers& extra) {
  auto e = env_;
  for (const auto& [k, v] : extra) e[k] = v;
  std::uint16_t port = 0;
  if (services()) {
    ServicesShop shop = startServicesShop(EMPORIUM_BINARY, e);
    if (shop.gateway_port == 0) {
      ADD_FAILURE() << "the services topology did not start: " << shop.failure;
      return 0;
    }
    port = shop.gateway_port;
    if (port_ == 0) service_ports_ = shop.ports;
    servers_.push_back(std::move(shop.processes));
    server_names_.push_back(std::move(shop.names));
  } else {
    auto served = startServe(EMPORIUM_BINARY, {}, e);
    std::vector<std::unique_ptr<ChildProcess>> one;
    one.push_back(std::move(served.child));
    servers_.push_back(std::move(one));
    server_names_.push_back({"all"});
    if (served.port == 0) {
      ADD_FAILURE() << "emporium did not become healthy:\n" << servers_.back().front()->output();
      return 0;
    }
    port = served.port;
  }
  if (port_ == 0) port_ = port;
  return port;
}

void ShopTest::stopServers(bool kill) {
  for (auto& server : servers_) {
    for (auto& process : server) process->signal(kill ? SIGKILL : SIGTERM);
    for (auto& process : server) process->wait(20s);
  }
  servers_.clear();
  server_names_.clear();
  service_ports_.clear();
  port_ = 0;
}

std::uint16_t ShopTest::servicePort(const std::string& service) const {
  const auto found = service_ports_.find(service);
  return found != service_ports_.end() ? found->second : port_;
}

void ShopTest::killServer(std::size_t index) {
  ASSERT_LT(index, servers_.size());
  for (auto& process : servers_[index]) process->signal(SIGKILL);
  for (auto& process : servers_[index]) process->wait(20s);
  servers_.erase(servers_.begin() + static_cast<std::ptrdiff_t>(index));
  server_names_.erase(server_names_.begin() + static_cast<std::ptrdiff_t>(index));
}

std::string ShopTest::serverOutput(std::size_t index) const {
  if (index >= servers_.size()) return {};
  if (servers_[index].size() == 1) return servers_[index].front()->output();
  std::string all;
  for (std::size_t i = 0; i < servers_[index].size(); ++i) {
    all += "--- " + server_names_[index][i] + " ---\n" + servers_[index][i]->output();
  }
  return all;
}

void ShopTest::signInAdmin() {
  const auto created = runProcess(
      cmd({"user", "create", "--admin", "--email", kAdminEmail, "--password", kAdminPassword}),
      env_);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const auto r = send(
      "POST", "/api/v1/auth/login",
      std::string("{\"email\":\"") + kAdminEmail + "\",\"password\":\"" + kAdminPassword + "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  admin_ = text(parseJson(r.body), "access_token");
  ASSERT_FALSE(admin_.empty());
}

HttpReply ShopTest::call(const std::string& method, const std::string& path,
                         const std::string& body, const Headers& headers, std::uint16_t port) {
  return httpRequest(port == 0 ? port_ : port, method, path, body, headers);
}

HttpReply ShopTest::send(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& token, const Headers& extra) {
  Headers h{{"Content-Type", "application/json"}};
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  for (const auto& [k, v] : extra) h[k] = v;
  return call(method, path, body, h);
}

HttpReply ShopTest::get(const std::string& path, const std::string& token) {
  Headers h;
  if (!token.empty()) h["Authorization"] = "Bearer " + token;
  return call("GET", path, {}, h);
}

ShopTest::TokenizeUrl ShopTest::tokenizeUrl(const std::string& customer) {
  const auto r = get("/api/v1/payments/config", customer);
  EXPECT_EQ(r.status, 200) << r.body;
  const auto d = parseJson(r.body);
  if (!d.IsObject() || !d.HasMember("card") || !d["card"].IsObject()) {
    ADD_FAILURE() << "no card in the payments config: " << r.body;
    return {};
  }
  // http://127.0.0.1:PORT/PATH: the sandbox is on a loopback port of its own.
  const std::string url = text(d["card"], "tokenize_url");
  constexpr std::string_view kOrigin = "http://127.0.0.1:";
  const auto slash = url.find('/', kOrigin.size());
  if (!url.starts_with(kOrigin) || slash == std::string::npos) {
    ADD_FAILURE() << "tokenize_url is not on loopback: " << url;
    return {};
  }
  const int port = std::stoi(url.substr(kOrigin.size(), slash - kOrigin.size()));
  return {static_cast<std::uint16_t>(port), url.substr(slash)};
}

HttpReply ShopTest::sandbox(const std::string& method, const std::string& path,
                            const std::string& body, bool with_secret, const Headers& extra) {
  const auto where = tokenizeUrl();
  const std::string base = where.path.substr(0, where.path.rfind("/v1/tokens"));
  Headers h{{"Content-Type", "application/json"}};
  if (with_secret) h["Authorization"] = std::string("Bearer ") + kSandboxSecret;
  for (const auto& [k, v] : extra) h[k] = v;
  return httpRequest(where.port, method, base + path, body, h);
}

std::string ShopTest::cardToken(const std::string& number, const std::string& customer) {
  const auto where = tokenizeUrl(customer);
  const auto r =
      httpRequest(where.port, "POST", where.path,
                  "{\"number\":\"" + number + R"(","exp_month":12,"exp_year":2099,"cvc":"123"})",
                  {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.status == 201 ? text(parseJson(r.body), "token") : std::string();
}

std::string ShopTest::registerCustomer(const std::string& email, const std::string& name) {
  const auto r = send("POST", "/api/v1/auth/register",
                      "{\"email\":" + jsonQuote(email) + ",\"password\":\"" + kCustomerPassword +
                          "\",\"name\":" + jsonQuote(name) + "}");
  EXPECT_EQ(r.status, 201) << r.body;
  if (r.status != 201) return {};
  return text(parseJson(r.body), "access_token");
}

std::string ShopTest::createProduct(const std::string& title, std::int64_t price,
                                    std::int64_t stock) {
  if (!category_made_) {
    const auto r = send("POST", "/api/v1/admin/categories",
                        R"({"name":"Everything","slug":"everything"})", admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    category_made_ = true;
  }
  const std::string sku = "SKU-" + std::to_string(++sku_counter_);
  const auto r = send("POST", "/api/v1/admin/products",
                      "{\"title\":" + jsonQuote(title) +
                          R"(,"brand":"Acme","category":"everything","variants":[{"sku":")" + sku +
                          "\",\"price\":" + std::to_string(price) +
                          ",\"stock\":" + std::to_string(stock) + "}]}",
                      admin_);
  EXPECT_EQ(r.status, 201) << r.body;
  return sku;
}

}  // namespace emporium::test
