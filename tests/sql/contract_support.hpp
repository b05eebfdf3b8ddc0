#pragma once
// What a contract suite (one set of cases run over a service's real
// implementation on both backends and over its fake) needs per subject: a
// fresh database of its own, dropped afterwards, and whether a missing
// PostgreSQL skips the case or fails it (EMPORIUM_REQUIRE_POSTGRES=1).

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "core/sql/database.hpp"
#include "core/sql/migrations.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {

/// True when a case that cannot reach PostgreSQL must fail rather than skip.
inline bool postgresRequired() {
  const char* require = std::getenv("EMPORIUM_REQUIRE_POSTGRES");  // NOLINT(concurrency-mt-unsafe)
  return require != nullptr && std::string_view(require) == "1";
}

/// One subject's own database on kBackend, with the migrations applied.
template <Backend kBackend>
class OwnDatabase {
 public:
  /// Why it cannot be opened here (no PostgreSQL configured), or nullopt.
  static std::optional<std::string> unavailable() {
    if (kBackend == Backend::kPostgres && !postgresUrl()) {
      return "PostgreSQL case skipped: set EMPORIUM_TEST_POSTGRES_URL to run it";
    }
    return std::nullopt;
  }

  OwnDatabase() = default;
  OwnDatabase(const OwnDatabase&) = delete;
  OwnDatabase& operator=(const OwnDatabase&) = delete;
  ~OwnDatabase() {
    db_.reset();
    if (kBackend == Backend::kPostgres && !name_.empty()) {
      dropPostgresDatabase(*postgresUrl(), name_);
    }
    if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_);
  }

  Database& open(const std::string& what, const MigrationSet& migrations) {
    name_ = uniqueServiceName();
    data_dir_ = std::filesystem::temp_directory_path() / ("emporium_" + what + "_" + name_);
    DatabaseOptions options;
    options.service = name_;
    options.data_dir = data_dir_.string();
    if (kBackend == Backend::kPostgres) options.postgres_url = postgresUrl();
    db_ = openDatabase(options);
    applyMigrations(*db_, migrations);
    return *db_;
  }

 private:
  std::string name_;
  std::filesystem::path data_dir_;
  std::unique_ptr<Database> db_;
};

/// The fixture of a typed contract suite: starts the Subject (which has
/// `static std::optional<std::string> unavailable()` and `void start()`), or
/// skips the case (fails it under EMPORIUM_REQUIRE_POSTGRES=1) when it cannot run.
template <class Subject>
class ContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = Subject::unavailable()) {
      if (postgresRequired()) GTEST_FAIL() << *why;
      GTEST_SKIP() << *why;
    }
    subject_.start();
  }

  Subject subject_;
};

}  // namespace emporium::sql::test
