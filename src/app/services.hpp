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
#include "services/users/storage/key_encryption.hpp"

namespace emporium::app {

struct ServiceInfo {
  std::string_view name;
  const sql::MigrationSet& (*migrations)();
};

/// Every service database, in the module table's order (app/module_table.cpp).
std::span<const ServiceInfo> services();

/// Each service's database, opened (created if missing) and migrated.
using Databases = std::map<std::string, std::unique_ptr<sql::Database>, std::less<>>;

/// Opens and migrates every service's database, side by side; throws for the
/// first failing service in start-up order
/// (unreachable server, changed migration, ...) with a message naming the service.
/// `only`, when not empty, limits it to those services (a target that runs
/// one service opens one database).
/// `reports`, when given, receives what migrating did to each one.
Databases openDatabases(const config::Config& config, const log::Logger& logger,
                        std::span<const std::string_view> only = {},
                        std::map<std::string, sql::MigrationReport>* reports = nullptr);

/// The key-encryption key that seals the users service's keys at rest, from
/// EMPORIUM_KEY_ENCRYPTION_KEY or config.key_encryption_key_file; warns once
/// when there is none (keys are then stored in clear). Throws
/// std::runtime_error when one is given but malformed or unreadable.
std::optional<users::KeyEncryptionKey> keyEncryptionKey(const config::Config& config,
                                                        const log::Logger& logger);

}  // namespace emporium::app
