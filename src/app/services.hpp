#pragma once
// The services this binary carries and how their databases are opened. The
// one list that `serve`, `migrate` and the other commands share.

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "core/sql/migrations.hpp"

namespace emporium::app {

struct ServiceInfo {
  std::string_view name;
  const sql::MigrationSet& (*migrations)();
};

/// Every service with a database, in start-up order.
std::span<const ServiceInfo> services();

/// Each service's database, opened (created if missing) and migrated.
using Databases = std::map<std::string, std::unique_ptr<sql::Database>, std::less<>>;

/// Opens and migrates every service's database; throws on the first failure
/// (unreachable server, changed migration, ...) with a message naming the service.
/// `only`, when not empty, limits it to those services (a target that runs
/// one service opens one database).
/// `reports`, when given, receives what migrating did to each one.
Databases openDatabases(const config::Config& config, const log::Logger& logger,
                        std::span<const std::string_view> only = {},
                        std::map<std::string, sql::MigrationReport>* reports = nullptr);

}  // namespace emporium::app
