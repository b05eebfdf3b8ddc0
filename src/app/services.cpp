#include "app/services.hpp"

#include "core/events/sql_activity_log.hpp"
#include "services/notifications/storage/schema.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "services/cart/storage/schema.hpp"
#include "services/catalog/storage/schema.hpp"
#include "services/inventory/storage/schema.hpp"
#include "services/orders/storage/schema.hpp"
#include "services/payments/sandbox/schema.hpp"
#include "services/payments/storage/schema.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::app {

std::span<const ServiceInfo> services() {
  static constexpr std::array<ServiceInfo, 9> kServices = {{
      {"users", &users::migrations},
      {"catalog", &catalog::migrations},
      {"inventory", &inventory::migrations},
      {"cart", &cart::migrations},
      {"payments", &payments::migrations},
      {"sandbox", &payments::sandbox::migrations},
      {"orders", &orders::migrations},
      {"activity", &events::migrations},
      {"notifications", &notifications::migrations},
  }};
  return kServices;
}

Databases openDatabases(const config::Config& config, const log::Logger& logger,
                        std::span<const std::string_view> only,
                        std::map<std::string, sql::MigrationReport>* reports) {
  Databases databases;
  for (const auto& service : services()) {
    if (!only.empty() && std::find(only.begin(), only.end(), service.name) == only.end()) {
      continue;
    }
    sql::DatabaseOptions options;
    options.service = std::string(service.name);
    options.data_dir = config.data_dir;
    options.postgres_url = config.postgres_url;
    options.pool_size = config.postgres_url ? config.postgres_pool_size : 4;
    std::unique_ptr<sql::Database> db;
    try {
      db = sql::openDatabase(options);
      const auto report = sql::applyMigrations(*db, service.migrations());
      logger.info("database ready",
                  {{"service", service.name},
                   {"backend", sql::dialectName(db->dialect())},
                   {"where", db->describe()},
                   {"schema_version", report.current_version},
                   {"migrations_applied", static_cast<std::int64_t>(report.applied.size())}});
      if (reports != nullptr) reports->emplace(std::string(service.name), report);
    } catch (const sql::Error& e) {
      throw std::runtime_error("service " + std::string(service.name) + ": " + e.what());
    }
    databases.emplace(std::string(service.name), std::move(db));
  }
  return databases;
}

std::optional<users::KeyEncryptionKey> keyEncryptionKey(const config::Config& config,
                                                        const log::Logger& logger) {
  auto kek = users::loadKeyEncryptionKey(config::processEnv(users::kKekEnv),
                                         config.key_encryption_key_file);
  if (!kek) {
    logger.warn(
        "no key-encryption key: token signing keys are stored in clear in the users database; "
        "set EMPORIUM_KEY_ENCRYPTION_KEY or EMPORIUM_KEY_ENCRYPTION_KEY_FILE (32 random bytes, "
        "base64 or hex) to seal them");
  }
  return kek;
}

}  // namespace emporium::app
