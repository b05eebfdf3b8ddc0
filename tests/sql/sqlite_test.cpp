// What only the SQLite adapter does: placeholder mapping, durability
// settings, the single writer. Plus the retry contract both adapters share.

#include <chrono>
#include <future>
#include <thread>

#include "core/sql/sqlite_connection.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

using namespace std::chrono_literals;

TEST(SqlitePlaceholders, MapsDollarNumbersOutsideQuotesAndComments) {
  EXPECT_EQ(toSqlitePlaceholders("SELECT $1, $12 FROM t WHERE a = $2"),
            "SELECT ?1, ?12 FROM t WHERE a = ?2");
  EXPECT_EQ(toSqlitePlaceholders("SELECT '$1', 'it''s $2', \"$3\" FROM t WHERE x = $4"),
            "SELECT '$1', 'it''s $2', \"$3\" FROM t WHERE x = ?4");
  EXPECT_EQ(toSqlitePlaceholders("SELECT $1 -- $2\n, $3 /* $4 */"),
            "SELECT ?1 -- $2\n, ?3 /* $4 */");
  EXPECT_EQ(toSqlitePlaceholders("SELECT a$1, $ FROM t"), "SELECT a$1, $ FROM t");
  EXPECT_EQ(toSqlitePlaceholders("SELECT 'unterminated $1"), "SELECT 'unterminated $1");
}

class SqliteTest : public SqlTest {};

TEST_P(SqliteTest, DurableSettings) {
  const auto pragma = [&](std::string_view name) {
    const std::string text = "PRAGMA " + std::string(name);
    return db_->read([&](Session& s) { return s.execute(Query{"", text})[0].getText(0); });
  };
  EXPECT_EQ(pragma("journal_mode"), "wal");
  EXPECT_EQ(pragma("synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("foreign_keys"), "1");
  const std::string synchronous_on_writer = db_->write([](Session& s) {
    return s.execute(Query{"", "PRAGMA synchronous"})[0].getText(0);
  });
  EXPECT_EQ(synchronous_on_writer, "2");
  EXPECT_NE(db_->describe().find(service_ + ".db"), std::string::npos) << db_->describe();
}

TEST_P(SqliteTest, NestedWriteIsRefusedNotDeadlocked) {
  expectError(ErrorKind::kOther,
              [&] { db_->write([&](Session&) { db_->write([](Session&) {}); }); });
  db_->write([](Session&) {});
}

TEST_P(SqliteTest, BusyWriterTimesOut) {
  DatabaseOptions quick = options();
  quick.busy_timeout = 200ms;
  const std::unique_ptr<Database> db = openDatabase(quick);
  std::promise<void> entered;
  std::promise<void> leave;
  std::shared_future<void> may_leave = leave.get_future().share();
  std::thread holder([&] {
    db->write([&](Session&) {
      entered.set_value();
      may_leave.wait();
    });
  });
  entered.get_future().wait();
  expectError(ErrorKind::kBusy, [&] { db->write([](Session&) {}); });
  // A second handle on the file waits in BEGIN IMMEDIATE, then gives up.
  const std::unique_ptr<Database> other = openDatabase(quick);
  expectError(ErrorKind::kBusy, [&] { other->write([](Session&) {}); });
  leave.set_value();
  holder.join();
  db->write([](Session&) {});
}

TEST(SqliteOptions, RejectsServiceNamesThatEscapeTheDataDir) {
  DatabaseOptions bad;
  bad.service = "../escape";
  bad.data_dir = (std::filesystem::temp_directory_path() / "emporium_sql_test_bad").string();
  expectError(ErrorKind::kConnection, [&] { openDatabase(bad); });
}

// Both adapters retry a write whose callback reports a serialization failure.
class RetryTest : public SqlTest {};

TEST_P(RetryTest, SerializationFailuresAreRetriedThenGiveUp) {
  int calls = 0;
  db_->write([&](Session& s) {
    s.execute(Query{"counter.upsert", "INSERT INTO counter (id, n) VALUES (1, 0)"});
    if (++calls < 3) throw Error(ErrorKind::kSerializationFailure, "conflict, try again");
  });
  EXPECT_EQ(calls, 3);  // and the INSERT of the failed tries was rolled back

  calls = 0;
  expectError(ErrorKind::kSerializationFailure, [&] {
    db_->write([&](Session&) {
      ++calls;
      throw Error(ErrorKind::kSerializationFailure, "always");
    });
  });
  EXPECT_EQ(calls, 5);

  calls = 0;
  expectError(ErrorKind::kUniqueViolation, [&] {
    db_->write([&](Session&) {
      ++calls;
      throw Error(ErrorKind::kUniqueViolation, "not retried");
    });
  });
  EXPECT_EQ(calls, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SqliteTest, ::testing::Values(Backend::kSqlite), backendName);
INSTANTIATE_TEST_SUITE_P(Backends, RetryTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
