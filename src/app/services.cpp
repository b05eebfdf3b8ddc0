#include "app/services.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>
#include <vector>

namespace emporium::app {

Databases openDatabases(const config::Config& config, const log::Logger& logger,
                        std::span<const std::string_view> only,
                        std::map<std::string, sql::MigrationReport>* reports) {
  std::vector<const ServiceInfo*> wanted;
  for (const auto& service : services()) {
    if (only.empty() || std::find(only.begin(), only.end(), service.name) != only.end()) {
      wanted.push_back(&service);
    }
  }
  // Opened side by side: on PostgreSQL each may first CREATE DATABASE and
  // then migrate, a few hundred milliseconds apiece that need not add up
  // (start-up after a failover, a test's fresh databases).
  struct Opened {
    std::unique_ptr<sql::Database> db;
    sql::MigrationReport report;
    std::exception_ptr failure;
  };
  std::vector<Opened> opened(wanted.size());
  {
    std::vector<std::jthread> openers;
    openers.reserve(wanted.size());
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      openers.emplace_back([&config, service = wanted[i], &slot = opened[i]] {
        try {
          sql::DatabaseOptions options;
          options.service = std::string(service->name);
          options.data_dir = config.data_dir;
          options.postgres_url = config.postgres_url;
          options.pool_size = config.postgres_url ? config.postgres_pool_size : 4;
          slot.db = sql::openDatabase(options);
          slot.report = sql::applyMigrations(*slot.db, service->migrations());
        } catch (...) {
          slot.failure = std::current_exception();
        }
      });
    }
  }  // joins every opener

  Databases databases;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const std::string_view name = wanted[i]->name;
    Opened& slot = opened[i];
    if (slot.failure) {
      try {
        std::rethrow_exception(slot.failure);
      } catch (const sql::Error& e) {
        throw std::runtime_error("service " + std::string(name) + ": " + e.what());
      }
    }
    logger.info("database ready",
                {{"service", name},
                 {"backend", sql::dialectName(slot.db->dialect())},
                 {"where", slot.db->describe()},
                 {"schema_version", slot.report.current_version},
                 {"migrations_applied", static_cast<std::int64_t>(slot.report.applied.size())}});
    if (reports != nullptr) reports->emplace(std::string(name), slot.report);
    databases.emplace(std::string(name), std::move(slot.db));
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
