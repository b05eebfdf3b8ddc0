#pragma once
// What end-to-end tests of the shop's HTTP API share: JSON and problem checks,
// and a fixture that runs the real `emporium serve` on SQLite or PostgreSQL,
// signs in an admin and makes customers and products through the API.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "e2e/process.hpp"
#include "support/http_client.hpp"

namespace emporium::test {

/// A valid shipping address, as a checkout body's "shipping_address".
inline const std::string kAddress =
    R"({"name":"Ada Lovelace","line1":"1 Analytical St","city":"London","postal_code":"N1 9GU","country":"GB"})";

using Headers = std::map<std::string, std::string>;
using Fields = std::set<std::string>;

inline constexpr char kProblemJson[] = "application/problem+json";
inline constexpr char kCustomerPassword[] = "correct-horse-42";
/// The shops under test run with this sandbox secret (EMPORIUM_SANDBOX_SECRET).
inline constexpr char kSandboxSecret[] = "e2e-sandbox-secret-0123456789";

rapidjson::Document parseJson(const std::string& body);
/// A string member ("" and a test failure when absent or not a string).
std::string text(const rapidjson::Value& object, const char* member);
/// An integer member (-1 and a test failure when absent or not an integer).
std::int64_t integer(const rapidjson::Value& object, const char* member);
/// `{"amount": N, ...}` under member: N (-1 and a failure when absent).
std::int64_t amount(const rapidjson::Value& object, const char* member);
/// A JSON string literal, escaped.
std::string jsonQuote(const std::string& value);
/// An RFC 9457 problem with this status: media type and the contract's members.
::testing::AssertionResult isProblem(const HttpReply& r, int status);
/// The fields named by errors[] of a problem body.
Fields errorFields(const HttpReply& r);
/// Polls cond every 50 ms until it holds (true) or the timeout passes (false).
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout);

/// Where a shop under test keeps its data, and how it is split into processes:
/// one process on SQLite or on PostgreSQL, or the services topology (every
/// service its own process behind a gateway, on PostgreSQL and RabbitMQ;
/// e2e/services_shop.hpp), the same suite against each.
enum class Backend { kSqlite, kPostgres, kServices };
std::string backendTestName(const ::testing::TestParamInfo<Backend>& info);

/// prepareBackend() for a shop on `backend`, with the services topology's
/// environment (services_shop.hpp) for kServices. Without the servers it
/// needs, `setup` is nullopt, `missing` says what is not configured and
/// `required_flag` names the variable that makes that a failure, not a skip.
struct ShopBackend {
  std::optional<BackendSetup> setup;
  const char* required_flag = nullptr;
  std::string missing;
};
ShopBackend prepareShopBackend(Backend backend, const std::string& prefix);
/// The services topology, instantiated as "Cluster/<Suite>.<Test>/Services"
/// (label `cluster`, tests/e2e/CMakeLists.txt).
inline const auto kClusterTopology = ::testing::Values(Backend::kServices);

/// A shop under test: a fresh data directory (and PostgreSQL database), the
/// binary started with rate limits off, an admin signed in.
class ShopTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// The services topology: a "server" is then the whole set of processes,
  /// and the port is the gateway's.
  bool services() const { return GetParam() == Backend::kServices; }

  std::vector<std::string> cmd(std::initializer_list<std::string> args) const;
  /// Starts `emporium serve` with extra environment (in the services
  /// topology: every service and the gateway, each given it); its port (0
  /// and a failure when it did not become healthy). The first one is the
  /// default target.
  std::uint16_t startServer(const Headers& extra = {});
  /// Stops every server started (SIGKILL when kill, else SIGTERM).
  void stopServers(bool kill = false);
  /// SIGKILLs the index'th server started (0: the first) and forgets it.
  void killServer(std::size_t index);
  /// Where `service`'s own routes answer (/metrics): the first server's port,
  /// or in the services topology that service's process.
  std::uint16_t servicePort(const std::string& service) const;
  /// What the index'th server started (0: the first) has printed so far
  /// (every process's output, each under its name, in the services topology).
  std::string serverOutput(std::size_t index = 0) const;
  /// The environment servers get (backend, data dir), plus what a test adds.
  Headers& env() { return env_; }

  void signInAdmin();
  HttpReply call(const std::string& method, const std::string& path, const std::string& body = {},
                 const Headers& headers = {}, std::uint16_t port = 0);
  HttpReply send(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& token = {}, const Headers& extra = {});
  HttpReply get(const std::string& path, const std::string& token = {});
  /// Where the shop says cards are tokenized (GET /api/v1/payments/config,
  /// as `customer` when given: a URL bound to them): the sandbox's loopback
  /// port and path (with its query), or a failure and port 0.
  struct TokenizeUrl {
    std::uint16_t port = 0;
    std::string path;  // "/sandbox/v1/tokens"
  };
  TokenizeUrl tokenizeUrl(const std::string& customer = {});
  /// Calls the shop's sandbox card provider, found from the payments config;
  /// path is under /sandbox ("/v1/control"). With the secret unless told not to.
  HttpReply sandbox(const std::string& method, const std::string& path,
                    const std::string& body = {}, bool with_secret = true,
                    const Headers& extra = {});
  /// A card token for a test card number, made where the config says, as a
  /// browser does (signed in as `customer` when given: the token is theirs).
  std::string cardToken(const std::string& number, const std::string& customer = {});

  /// A customer registered through the API; its access token.
  std::string registerCustomer(const std::string& email, const std::string& name = "Test Buyer");

  /// A category (created once) and a product with one variant; the SKU.
  std::string createProduct(const std::string& title, std::int64_t price, std::int64_t stock);

  std::uint16_t port_ = 0;
  std::string admin_;
  std::filesystem::path data_dir_;

 private:
  Headers env_;
  // One entry per startServer: one process, or a services-topology set.
  std::vector<std::vector<std::unique_ptr<ChildProcess>>> servers_;
  std::vector<std::vector<std::string>> server_names_;
  std::map<std::string, std::uint16_t> service_ports_;  // the first services-topology set's
  bool category_made_ = false;
  int sku_counter_ = 0;
};

}  // namespace emporium::test
