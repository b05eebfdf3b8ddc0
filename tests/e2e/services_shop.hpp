#pragma once
// The shop in its services topology, as end-to-end tests start it: every
// service its own `emporium serve --target=<service>` process, one gateway in
// front, events over RabbitMQ, each service's database on PostgreSQL. The
// same shape `scripts/cluster up` starts, minus what a test does not need
// (nginx, a second gateway and catalog, Redis, Prometheus): the end-to-end
// suites run against it unchanged, one suite for both topologies.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "e2e/process.hpp"

namespace emporium::test {

/// The processes of one services-topology shop, the gateway's port.
struct ServicesShop {
  /// One per service, the gateway last; each one's `--target` in `names`.
  std::vector<std::unique_ptr<ChildProcess>> processes;
  std::vector<std::string> names;
  /// Each process's port by name ("catalog", ..., "gateway"): a service's
  /// own /metrics are on its port, not the gateway's.
  std::map<std::string, std::uint16_t> ports;
  /// 0 when the shop did not start (`failure` says why).
  std::uint16_t gateway_port = 0;
  std::string failure;
  /// Where the processes write their port files while starting (removed once started).
  std::filesystem::path port_dir;
};

/// What the services topology adds to a test's environment: RabbitMQ, with a
/// queue prefix of the test's own so that tests running side by side never
/// take each other's events, and a service secret. nullopt when the test
/// servers' RabbitMQ is not configured (EMPORIUM_TEST_AMQP_URL): the caller
/// skips, or fails under EMPORIUM_REQUIRE_SERVERS=1.
std::optional<std::map<std::string, std::string>> servicesTopologyEnv();

/// The services a services-topology shop runs, in start order.
const std::vector<std::string>& shopServices();

/// Migrates once (as `scripts/cluster up` does, so no two services race on a
/// database), then starts every service and the gateway side by side on
/// loopback ports picked up front (each service is given the others' URLs),
/// and waits until each answers /healthz. A port another program took
/// meanwhile makes that service exit: the whole set is stopped and started
/// again on other ports (three tries). `env` reaches every process;
/// it must hold the PostgreSQL and RabbitMQ URLs and the service secret.
ServicesShop startServicesShop(const std::string& binary,
                               const std::map<std::string, std::string>& env);

}  // namespace emporium::test
