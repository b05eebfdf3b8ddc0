#include "sql_test_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>

#include "core/sql/postgres_connection.hpp"
#include "core/sql/postgres_conninfo.hpp"

namespace emporium::sql::test {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE vals (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, b BOOLEAN, s TEXT);
CREATE TABLE parents (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE children (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER NOT NULL REFERENCES parents (id),
  qty INTEGER NOT NULL CHECK (qty >= 0)
);
CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
CREATE TABLE stock (sku TEXT PRIMARY KEY, available INTEGER NOT NULL CHECK (available >= 0));
)sql";

std::string randomHex(std::size_t digits) {
  std::random_device device;
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out.push_back("0123456789abcdef"[nibble(device)]);
  return out;
}

}  // namespace

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::optional<std::string> postgresUrl() {
  // Nothing in the tests sets environment variables, so reading them races nothing.
  const char* url = std::getenv("EMPORIUM_TEST_POSTGRES_URL");  // NOLINT(concurrency-mt-unsafe)
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

std::string uniqueServiceName() { return "t_" + randomHex(12); }

void dropPostgresDatabase(const std::string& url, const std::string& service) {
  const PostgresTarget target = parsePostgresTarget(url, service);
  std::unique_ptr<PostgresConnection> admin;
  try {
    admin = std::make_unique<PostgresConnection>(target, target.url_dbname);
  } catch (const Error&) {
    admin = std::make_unique<PostgresConnection>(target, "postgres");
  }
  admin->exec("DROP DATABASE IF EXISTS " + quoteIdentifier(target.service_dbname) + " WITH (FORCE)",
              "DROP DATABASE");
}

void SqlTest::SetUp() {
  if (isPostgres() && !postgresUrl()) {
    const char* require =
        std::getenv("EMPORIUM_REQUIRE_POSTGRES");  // NOLINT(concurrency-mt-unsafe)
    if (require != nullptr && std::string_view(require) == "1") {
      GTEST_FAIL() << "EMPORIUM_REQUIRE_POSTGRES=1 but EMPORIUM_TEST_POSTGRES_URL is not set";
    }
    GTEST_SKIP() << "PostgreSQL case skipped: set EMPORIUM_TEST_POSTGRES_URL "
                    "(e.g. postgresql://emporium@127.0.0.1:5432/emporium) to run it";
  }
  service_ = uniqueServiceName();
  data_dir_ = std::filesystem::temp_directory_path() / ("emporium_sql_test_" + service_);
  db_ = open();
  createSchema(*db_);
}

void SqlTest::TearDown() {
  db_.reset();
  if (isPostgres()) {
    if (const auto url = postgresUrl()) {
      for (const std::string& service : services_) dropPostgresDatabase(*url, service);
    }
  }
  if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_);
}

DatabaseOptions SqlTest::options(const std::string& service) {
  DatabaseOptions result;
  result.service = service.empty() ? service_ : service;
  result.data_dir = data_dir_.string();
  if (isPostgres()) result.postgres_url = postgresUrl();
  if (std::find(services_.begin(), services_.end(), result.service) == services_.end()) {
    services_.push_back(result.service);
  }
  return result;
}

std::unique_ptr<Database> SqlTest::open(const std::string& service) {
  return openDatabase(options(service));
}

void SqlTest::createSchema(Database& db) {
  db.write([](Session& session) { session.executeScript(kSchema); });
}

std::string expectError(ErrorKind kind, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& error) {
    EXPECT_EQ(errorKindName(error.kind()), errorKindName(kind)) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "expected Error{" << errorKindName(kind) << "}, nothing was thrown";
  return {};
}

}  // namespace emporium::sql::test
