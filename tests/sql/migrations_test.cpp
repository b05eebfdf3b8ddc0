// applyMigrations() and the migrations embedded by cmake/EmbedMigrations.cmake.

#include <fstream>
#include <latch>
#include <sstream>
#include <thread>

#include "core/sql/migrations.hpp"
#include "sql_test_support.hpp"

namespace emporium::sql::test {

// Generated from tests/sql/migrations by emporium_embed_migrations().
const MigrationSet& migrations();

namespace {

constexpr std::string_view kCreateItems =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE TABLE tags (item_id INTEGER NOT NULL REFERENCES items (id), tag TEXT NOT NULL);\n";
constexpr std::string_view kIndexItems = "CREATE INDEX items_name ON items (name);";

class MigrationsTest : public SqlTest {
 protected:
  // The same SQL serves both dialects here.
  MigrationSet makeSet(const std::vector<Migration>& list) const {
    return MigrationSet{service_, list, list};
  }
  MigrationSet baseSet() const {
    return makeSet(
        {{1, "0001_create_items.sql", kCreateItems}, {2, "0002_add_index.sql", kIndexItems}});
  }
  std::int64_t recordedCount() {
    return db_->read([](Session& s) {
      return s.execute(Query{"test.count_migrations", "SELECT COUNT(*) FROM schema_migrations"})[0]
          .getInt64(0);
    });
  }
};

TEST_P(MigrationsTest, AppliesOnceAndRecordsChecksums) {
  const MigrationReport first = applyMigrations(*db_, baseSet());
  EXPECT_EQ(first.applied, (std::vector<int>{1, 2}));
  EXPECT_EQ(first.current_version, 2);
  db_->write([](Session& s) {
    s.execute(Query{"items.insert", "INSERT INTO items (id, name) VALUES ($1, $2)"},
              {std::int64_t{1}, "widget"});
  });

  const MigrationReport second = applyMigrations(*db_, baseSet());
  EXPECT_TRUE(second.applied.empty());
  EXPECT_EQ(second.current_version, 2);

  const Result rows = db_->read([](Session& s) {
    return s.execute(Query{"test.migration_rows",
                           "SELECT version, name, checksum, applied_at FROM schema_migrations "
                           "ORDER BY version"});
  });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].getText(1), "0001_create_items.sql");
  EXPECT_EQ(rows[0].getText(2), sha256Hex(kCreateItems));
  EXPECT_EQ(rows[1].getInt64(0), 2);
  EXPECT_EQ(rows[1].getText(3).size(), std::string("2024-01-01T00:00:00Z").size());
}

TEST_P(MigrationsTest, EmptySetOnAFreshDatabase) {
  const MigrationReport report = applyMigrations(*db_, makeSet({}));
  EXPECT_TRUE(report.applied.empty());
  EXPECT_EQ(report.current_version, 0);
}

TEST_P(MigrationsTest, ChangedMigrationIsRefused) {
  applyMigrations(*db_, baseSet());
  const MigrationSet changed =
      makeSet({{1, "0001_create_items.sql", kCreateItems},
               {2, "0002_add_index.sql", "CREATE INDEX x ON items (id);"}});
  const std::string message =
      expectError(ErrorKind::kMigration, [&] { applyMigrations(*db_, changed); });
  EXPECT_NE(message.find(service_ + "/0002_add_index.sql"), std::string::npos) << message;
  EXPECT_NE(message.find("checksum mismatch"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_P(MigrationsTest, UnknownAppliedVersionIsRefused) {
  applyMigrations(*db_, baseSet());
  const MigrationSet older = makeSet({{1, "0001_create_items.sql", kCreateItems}});
  const std::string message =
      expectError(ErrorKind::kMigration, [&] { applyMigrations(*db_, older); });
  EXPECT_NE(message.find(service_ + "/0002_add_index.sql"), std::string::npos) << message;
  EXPECT_NE(message.find("version 2"), std::string::npos) << message;
}

TEST_P(MigrationsTest, PendingVersionBelowAppliedIsRefused) {
  applyMigrations(*db_, makeSet({{1, "0001_create_items.sql", kCreateItems},
                                 {3, "0003_add_index.sql", kIndexItems}}));
  const MigrationSet gap = makeSet({{1, "0001_create_items.sql", kCreateItems},
                                    {2, "0002_late.sql", "CREATE TABLE late (id INTEGER);"},
                                    {3, "0003_add_index.sql", kIndexItems}});
  const std::string message =
      expectError(ErrorKind::kMigration, [&] { applyMigrations(*db_, gap); });
  EXPECT_NE(message.find("0002_late.sql"), std::string::npos) << message;
}

TEST_P(MigrationsTest, FailedMigrationLeavesNoTrace) {
  applyMigrations(*db_, baseSet());
  // The first statement succeeds, the second fails: neither may stay.
  MigrationSet broken = baseSet();
  for (auto* list : {&broken.sqlite, &broken.postgres}) {
    list->push_back({3, "0003_broken.sql", "CREATE TABLE half (id INTEGER);\nCREATE TABLE oops ("});
  }
  const std::string message =
      expectError(ErrorKind::kMigration, [&] { applyMigrations(*db_, broken); });
  EXPECT_NE(message.find(service_ + "/0003_broken.sql"), std::string::npos) << message;
  EXPECT_EQ(recordedCount(), 2);
  // "half" was rolled back with the rest, so creating it again works.
  db_->write([](Session& s) { s.executeScript("CREATE TABLE half (id INTEGER);"); });
}

TEST_P(MigrationsTest, ConcurrentMigratorsApplyEachVersionOnce) {
  constexpr int kMigrators = 4;
  const MigrationSet set = baseSet();
  std::latch ready(kMigrators);
  std::vector<MigrationReport> reports(kMigrators);
  std::vector<std::unique_ptr<Database>> handles;
  for (int i = 0; i < kMigrators; ++i) {
    DatabaseOptions each = options();
    each.pool_size = 2;
    handles.push_back(openDatabase(each));  // as if each were its own process
  }
  std::vector<std::thread> threads;
  threads.reserve(kMigrators);
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      ready.arrive_and_wait();
      try {
        reports[i] = applyMigrations(*handles[i], set);
      } catch (const Error& error) {
        ADD_FAILURE() << error.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<int> all;
  for (const MigrationReport& report : reports) {
    all.insert(all.end(), report.applied.begin(), report.applied.end());
    EXPECT_EQ(report.current_version, 2);
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<int>{1, 2}));
  EXPECT_EQ(recordedCount(), 2);
}

TEST_P(MigrationsTest, EmbeddedMigrationsMatchTheirFiles) {
  const MigrationSet& set = migrations();
  EXPECT_EQ(set.service, "sqltest");
  ASSERT_EQ(set.sqlite.size(), 3u);
  ASSERT_EQ(set.postgres.size(), 3u);
  EXPECT_EQ(set.sqlite[2].version, 10);
  EXPECT_EQ(set.postgres[2].name, "0010_add_created_at.sql");
  const auto& list = isPostgres() ? set.postgres : set.sqlite;
  for (const Migration& migration : list) {
    const std::string path = std::string(EMPORIUM_SQL_TEST_MIGRATIONS_DIR) + "/" +
                             (isPostgres() ? "postgres/" : "sqlite/") + std::string(migration.name);
    std::ifstream file(path, std::ios::binary);
    std::stringstream content;
    content << file.rdbuf();
    EXPECT_EQ(migration.sql, content.str()) << path;
  }

  const MigrationReport report = applyMigrations(*db_, set);
  EXPECT_EQ(report.applied, (std::vector<int>{1, 2, 10}));
  EXPECT_EQ(report.current_version, 10);
  const std::string body = db_->read([](Session& s) {
    return s.execute(Query{"notes.body", "SELECT body FROM notes WHERE id = 1"})[0].getText(0);
  });
  EXPECT_EQ(body, "it's \")\" $1 \\n ✓");
}

INSTANTIATE_TEST_SUITE_P(Backends, MigrationsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
