#include "e2e/services_shop.hpp"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "support/http_client.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartTimeout = 60s;
constexpr int kTries = 3;

// The services a gateway (and a service) reaches over HTTP; notifications has
// no routes, so nobody is told where it is (scripts/cluster's gateway_env).
constexpr std::string_view kCalledServices[] = {"users", "catalog", "inventory",
                                                "cart",  "orders",  "payments"};

std::string upper(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string origin(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

bool answersHealthz(std::uint16_t port) {
  try {
    return httpRequest(port, "GET", "/healthz").status == 200;
  } catch (const std::exception&) {
    return false;  // not listening yet
  }
}

void stopAll(ServicesShop& shop) {
  for (auto& process : shop.processes) process->signal(SIGKILL);
  for (auto& process : shop.processes) process->wait(10s);
  shop.processes.clear();
  shop.names.clear();
}

// Every process's output under a header of its name: what a failure shows.
std::string outputs(const ServicesShop& shop) {
  std::string all;
  for (std::size_t i = 0; i < shop.processes.size(); ++i) {
    all += "--- " + shop.names[i] + " ---\n" + shop.processes[i]->output();
  }
  return all;
}

// Where the process named `name` writes its ports once it serves on them.
std::filesystem::path portFile(const ServicesShop& shop, const std::string& name) {
  return shop.port_dir / (name + ".ports");
}

// One try: true when every process answered /healthz; false with the shop
// stopped and `shop.failure` set otherwise.
bool tryStart(ServicesShop& shop, const std::string& binary,
              const std::map<std::string, std::string>& env) {
  const std::vector<std::string>& names = shopServices();
  std::map<std::string, std::uint16_t> ports;
  std::set<std::uint16_t> taken;
  for (const std::string& name : names) {
    std::uint16_t port = candidatePort();
    while (!taken.insert(port).second) port = candidatePort();
    ports[name] = port;
  }
  auto common = env;
  for (std::string_view called : kCalledServices) {
    common["EMPORIUM_SERVICE_" + upper(called) + "_URLS"] = origin(ports.at(std::string(called)));
  }
  for (const std::string& name : names) {
    auto process_env = common;
    if (name != "gateway") {
      // Behind the gateway, as in scripts/cluster: the client's address is
      // the last X-Forwarded-For entry, and callers' budgets are kept.
      process_env["EMPORIUM_HTTP_TRUST_FORWARDED_FOR"] = "true";
      process_env["EMPORIUM_HTTP_TRUST_BUDGET_HEADER"] = "true";
    }
    shop.processes.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{binary, "serve", "--target=" + name, "--listen",
                                 "127.0.0.1:" + std::to_string(ports.at(name)), "--port-file",
                                 portFile(shop, name).string()},
        process_env));
    shop.names.push_back(name);
  }
  std::vector<bool> healthy(names.size(), false);
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (healthy[i]) continue;
      if (!shop.processes[i]->running()) {
        shop.failure = names[i] + " exited during start-up\n" + outputs(shop);
        stopAll(shop);
        return false;
      }
      // Its port file first: a /healthz answer alone could come from another
      // test's server that holds the port this one failed to bind.
      healthy[i] =
          std::filesystem::exists(portFile(shop, names[i])) && answersHealthz(ports.at(names[i]));
      all = all && healthy[i];
    }
    if (all) {
      shop.gateway_port = ports.at("gateway");
      shop.ports = ports;
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  shop.failure = "not every service answered /healthz within 60 s\n" + outputs(shop);
  stopAll(shop);
  return false;
}

}  // namespace

std::optional<std::map<std::string, std::string>> servicesTopologyEnv() {
  const auto amqp = env("EMPORIUM_TEST_AMQP_URL");
  if (!amqp) return std::nullopt;
  return std::map<std::string, std::string>{
      {"EMPORIUM_AMQP_URL", *amqp},
      {"EMPORIUM_EVENTS_AMQP_PREFIX", "t" + randomSuffix() + "."},
      {"EMPORIUM_SERVICE_SECRET", "e2e-service-secret-" + randomSuffix() + randomSuffix()}};
}

const std::vector<std::string>& shopServices() {
  static const std::vector<std::string> kServices = {
      "users", "catalog", "inventory", "cart", "orders", "payments", "notifications", "gateway"};
  return kServices;
}

ServicesShop startServicesShop(const std::string& binary,
                               const std::map<std::string, std::string>& env) {
  ServicesShop shop;
  const ProcessResult migrated = runProcess({binary, "migrate"}, env);
  if (migrated.exit_code != 0) {
    shop.failure = "emporium migrate failed:\n" + migrated.output;
    return shop;
  }
  shop.port_dir = std::filesystem::temp_directory_path() / ("emporium-services-" + randomSuffix());
  // A candidate port another program holds fails only the service that
  // wanted it; the next try picks other ports for all of them.
  for (int attempt = 0; attempt < kTries; ++attempt) {
    std::filesystem::remove_all(shop.port_dir);
    std::filesystem::create_directories(shop.port_dir);
    if (tryStart(shop, binary, env)) break;
  }
  std::error_code ignored;
  std::filesystem::remove_all(shop.port_dir, ignored);
  return shop;
}

}  // namespace emporium::test
