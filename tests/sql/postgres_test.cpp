// What only the PostgreSQL adapter does: URL handling, database creation,
// broken connections, aborted transactions, real serialization failures.

#include <atomic>
#include <latch>
#include <thread>

#include "core/sql/postgres_connection.hpp"
#include "core/sql/postgres_conninfo.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

bool hasOption(const PostgresTarget& target, std::string_view keyword, std::string_view value) {
  for (std::size_t i = 0; i < target.keywords.size(); ++i) {
    if (target.keywords[i] == keyword && target.values[i] == value) return true;
  }
  return false;
}

TEST(PostgresConninfo, UriKeepsOptionsAndHidesPassword) {
  const PostgresTarget target = parsePostgresTarget(
      "postgresql://alice:s3cret@db.example:5433/shop?sslmode=disable&application_name=x", "users");
  EXPECT_EQ(target.url_dbname, "shop");
  EXPECT_EQ(target.service_dbname, "shop_users");
  EXPECT_TRUE(hasOption(target, "sslmode", "disable"));
  EXPECT_TRUE(hasOption(target, "password", "s3cret"));
  EXPECT_TRUE(hasOption(target, "application_name", "emporium-users"));
  EXPECT_FALSE(hasOption(target, "application_name", "x"));
  EXPECT_TRUE(hasOption(target, "connect_timeout", "10"));
  for (const std::string& keyword : target.keywords) EXPECT_NE(keyword, "dbname");
  EXPECT_EQ(target.description, "postgres host=db.example port=5433 dbname=shop_users user=alice");
  EXPECT_EQ(target.description.find("s3cret"), std::string::npos);
}

TEST(PostgresConninfo, KeywordValueStringAndDefaults) {
  const PostgresTarget target =
      parsePostgresTarget("host=/run/postgresql password=pw connect_timeout=3", "orders");
  EXPECT_EQ(target.service_dbname, "emporium_orders");
  EXPECT_TRUE(hasOption(target, "connect_timeout", "3"));
  EXPECT_FALSE(hasOption(target, "connect_timeout", "10"));
  EXPECT_EQ(target.description.find("pw"), std::string::npos) << target.description;
}

TEST(PostgresConninfo, RejectsBadInput) {
  expectError(ErrorKind::kConnection, [] { parsePostgresTarget("postgresql://h/db?nope=1", "a"); });
  expectError(ErrorKind::kConnection, [] { parsePostgresTarget("host=h", "bad name;"); });
  expectError(ErrorKind::kConnection, [] { parsePostgresTarget("host=h", std::string(60, 'x')); });
}

TEST(PostgresConninfo, SqlstateMapping) {
  EXPECT_EQ(errorKindForSqlstate("23505"), ErrorKind::kUniqueViolation);
  EXPECT_EQ(errorKindForSqlstate("23503"), ErrorKind::kForeignKeyViolation);
  EXPECT_EQ(errorKindForSqlstate("23514"), ErrorKind::kCheckViolation);
  EXPECT_EQ(errorKindForSqlstate("23502"), ErrorKind::kCheckViolation);
  EXPECT_EQ(errorKindForSqlstate("40001"), ErrorKind::kSerializationFailure);
  EXPECT_EQ(errorKindForSqlstate("40P01"), ErrorKind::kSerializationFailure);
  EXPECT_EQ(errorKindForSqlstate("08006"), ErrorKind::kConnection);
  EXPECT_EQ(errorKindForSqlstate("55P03"), ErrorKind::kBusy);
  EXPECT_EQ(errorKindForSqlstate("57014"), ErrorKind::kBusy);
  EXPECT_EQ(errorKindForSqlstate("42601"), ErrorKind::kOther);
  EXPECT_EQ(errorKindForSqlstate("22021"), ErrorKind::kInvalidValue);  // bad UTF-8
  EXPECT_EQ(errorKindForSqlstate("22003"), ErrorKind::kInvalidValue);  // out of range
}

class PostgresTest : public SqlTest {
 protected:
  std::int64_t backendPid(Database& db) {
    return db.read([](Session& s) {
      return s.execute(Query{"pg.pid", "SELECT pg_backend_pid()"})[0].getInt64(0);
    });
  }
  // Kills a backend from a separate connection and waits until it is gone.
  void terminate(std::int64_t pid) {
    const PostgresTarget target = parsePostgresTarget(*postgresUrl(), service_);
    PostgresConnection admin(target, target.service_dbname);
    admin.exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ", 5000)", "terminate");
  }
};

TEST_P(PostgresTest, DatabaseIsCreatedWithUtf8AndCollationC) {
  const Result result = db_->read([](Session& s) {
    return s.execute(Query{"pg.db_settings",
                           "SELECT current_database(), current_setting('server_encoding'), "
                           "datcollate, current_setting('application_name') "
                           "FROM pg_database WHERE datname = current_database()"});
  });
  ASSERT_EQ(result.size(), 1u);
  EXPECT_NE(result[0].getText(0).find("_" + service_), std::string::npos);
  EXPECT_EQ(result[0].getText(1), "UTF8");
  EXPECT_EQ(result[0].getText(2), "C");
  EXPECT_EQ(result[0].getText(3), "emporium-" + service_);
}

TEST_P(PostgresTest, ConcurrentFirstOpensAllSucceed) {
  const std::string fresh = uniqueServiceName();
  const DatabaseOptions each = options(fresh);
  constexpr int kOpeners = 4;
  std::latch ready(kOpeners);
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  threads.reserve(kOpeners);
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&] {
      ready.arrive_and_wait();
      try {
        openDatabase(each)->ping();
        ++opened;
      } catch (const Error& error) {
        ADD_FAILURE() << error.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(opened.load(), kOpeners);
}

TEST_P(PostgresTest, BrokenConnectionsAreReplaced) {
  DatabaseOptions single = options();
  single.pool_size = 1;
  const std::unique_ptr<Database> db = openDatabase(single);

  // Died while idle in the pool: the next call reconnects by itself.
  terminate(backendPid(*db));
  db->ping();
  EXPECT_EQ(db->poolStats().size, 1u);

  // Died inside a transaction: the caller learns, the pool recovers.
  expectError(ErrorKind::kConnection, [&] {
    db->write([&](Session& s) {
      terminate(s.execute(Query{"pg.pid", "SELECT pg_backend_pid()"})[0].getInt64(0));
      s.execute(Query{"pg.one", "SELECT 1"});
    });
  });
  EXPECT_EQ(db->poolStats().size, 0u);
  EXPECT_EQ(db->poolStats().in_use, 0u);
  db->ping();
  EXPECT_EQ(db->poolStats().size, 1u);
}

TEST_P(PostgresTest, SwallowedErrorStillFailsTheTransaction) {
  const Query insert{"parents.insert", "INSERT INTO parents (id, email) VALUES ($1, $2)"};
  expectError(ErrorKind::kUniqueViolation, [&] {
    db_->write([&](Session& s) {
      s.execute(insert, {std::int64_t{1}, "a@example.com"});
      try {
        s.execute(insert, {std::int64_t{1}, "a@example.com"});
      } catch (const Error&) {
        // Carrying on as if the duplicate did not matter.
      }
      expectError(ErrorKind::kUniqueViolation, [&] { s.execute(Query{"pg.one", "SELECT 1"}); });
    });
  });
  const std::int64_t count = db_->read([](Session& s) {
    return s.execute(Query{"parents.count", "SELECT COUNT(*) FROM parents"})[0].getInt64(0);
  });
  EXPECT_EQ(count, 0);
}

TEST_P(PostgresTest, SerializationFailureIsRetried) {
  db_->write([](Session& s) {
    s.execute(Query{"counter.insert", "INSERT INTO counter (id, n) VALUES (1, 0)"});
  });
  // Both transactions read n before either writes; the second writer gets
  // 40001 once the first commits, and its retry sees the new value.
  std::latch both_read(2);
  std::atomic<int> attempts{0};
  const auto work = [&] {
    bool first_attempt = true;
    db_->write([&](Session& s) {
      ++attempts;
      s.execute(Query{"pg.serializable", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"});
      const std::int64_t n =
          s.execute(Query{"counter.get", "SELECT n FROM counter WHERE id = 1"})[0].getInt64(0);
      if (first_attempt) both_read.arrive_and_wait();
      first_attempt = false;
      s.execute(Query{"counter.set", "UPDATE counter SET n = $1 WHERE id = 1"}, {n + 1});
    });
  };
  std::thread a(work);
  std::thread b(work);
  a.join();
  b.join();
  EXPECT_EQ(attempts.load(), 3);
  const std::int64_t n = db_->read([](Session& s) {
    return s.execute(Query{"counter.get", "SELECT n FROM counter WHERE id = 1"})[0].getInt64(0);
  });
  EXPECT_EQ(n, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresTest, ::testing::Values(Backend::kPostgres),
                         backendName);

}  // namespace
}  // namespace emporium::sql::test
