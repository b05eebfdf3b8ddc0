#pragma once
// The fixture every backend-parameterized SQL test derives from.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sql/database.hpp"

namespace emporium::sql::test {

enum class Backend { kSqlite, kPostgres };

/// "Sqlite" / "Postgres", for test names.
std::string backendName(const ::testing::TestParamInfo<Backend>& info);

/// EMPORIUM_TEST_POSTGRES_URL, if set and not empty.
std::optional<std::string> postgresUrl();

/// A random name such as "t_3f9a0c1b2d4e": a fresh database per test.
std::string uniqueServiceName();

/// Drops <url dbname>_<service> (WITH FORCE), ignoring a missing one.
void dropPostgresDatabase(const std::string& url, const std::string& service);

/// Skips a PostgreSQL case when no server is configured, or fails it when
/// EMPORIUM_REQUIRE_POSTGRES=1. Gives each test a fresh service database
/// (and, on SQLite, a fresh data directory) and removes it afterwards.
class SqlTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool isPostgres() const { return GetParam() == Backend::kPostgres; }
  /// Options for `service` (default: this test's service) on this backend.
  DatabaseOptions options(const std::string& service = {});
  /// Opens another handle on a database (default: this test's).
  std::unique_ptr<Database> open(const std::string& service = {});
  /// Creates the tables the tests share (see sql_test_support.cpp).
  void createSchema(Database& db);

  std::string service_;
  std::unique_ptr<Database> db_;  // this test's database, opened by SetUp

 private:
  std::filesystem::path data_dir_;
  std::vector<std::string> services_;  // every service opened, to drop
};

/// Runs fn and checks that it throws Error of `kind`; returns its message.
std::string expectError(ErrorKind kind, const std::function<void()>& fn);

}  // namespace emporium::sql::test
