// Parameters in, cells out: the same values round-trip on both dialects.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

constexpr Query kInsert{"vals.insert",
                        "INSERT INTO vals (id, i, d, b, s) VALUES ($1, $2, $3, $4, $5)"};
constexpr Query kSelect{"vals.select", "SELECT i, d, b, s FROM vals WHERE id = $1"};
constexpr Query kCountVals{"vals.count", "SELECT COUNT(*) FROM vals"};

class ValuesTest : public SqlTest {};

TEST_P(ValuesTest, TypedValuesRoundTrip) {
  struct Case {
    std::int64_t i;
    double d;
    bool b;
    std::string s;
  };
  const std::vector<Case> cases = {
      {0, 0.0, false, ""},
      {std::numeric_limits<std::int64_t>::min(), -1.5, true, "héllo wörld ✓ 🚀 日本語"},
      {std::numeric_limits<std::int64_t>::max(), 3.141592653589793, false, "it's \"quoted\""},
      {-1, 1e-300, true, "'); DROP TABLE vals; --"},
      {42, 5e-324, false, "back\\slash %s $1 ?1 :name @p\ttab\nnewline"},
      {7, std::numeric_limits<double>::max(), true, "x"},
  };
  db_->write([&](Session& session) {
    for (std::size_t k = 0; k < cases.size(); ++k) {
      const Case& c = cases[k];
      session.execute(kInsert,
                      {static_cast<std::int64_t>(k + 1), c.i, c.d, c.b, std::string_view(c.s)});
    }
  });
  db_->read([&](Session& session) {
    for (std::size_t k = 0; k < cases.size(); ++k) {
      const Result result = session.execute(kSelect, {static_cast<std::int64_t>(k + 1)});
      ASSERT_EQ(result.size(), 1u);
      const Row& row = result[0];
      EXPECT_EQ(row.getInt64(0), cases[k].i);
      EXPECT_EQ(row.getDouble(1), cases[k].d);
      EXPECT_EQ(row.getBool(2), cases[k].b);
      EXPECT_EQ(row.getText(3), cases[k].s);
    }
    EXPECT_EQ(session.execute(kCountVals)[0].getInt64(0), static_cast<std::int64_t>(cases.size()));
  });
}

TEST_P(ValuesTest, NullsAndOptionals) {
  db_->write([](Session& session) {
    session.execute(kInsert, {std::int64_t{1}, nullptr, nullptr, nullptr, nullptr});
  });
  const Result result = db_->read([](Session& s) { return s.execute(kSelect, {std::int64_t{1}}); });
  ASSERT_EQ(result.size(), 1u);
  const Row& row = result[0];
  for (std::size_t column = 0; column < row.size(); ++column) EXPECT_TRUE(row.isNull(column));
  EXPECT_EQ(row.getOptionalInt64(0), std::nullopt);
  EXPECT_EQ(row.getOptionalText(3), std::nullopt);
  expectError(ErrorKind::kType, [&] { row.getInt64(0); });
  expectError(ErrorKind::kType, [&] { row.getText(3); });
  expectError(ErrorKind::kType, [&] { row.getBool(2); });
  expectError(ErrorKind::kType, [&] { row.isNull(4); });
}

TEST_P(ValuesTest, CellsConvertAlike) {
  db_->write([](Session& session) {
    session.execute(kInsert, {std::int64_t{1}, std::int64_t{42}, 2.5, true, "abc"});
  });
  db_->read([](Session& session) {
    const Result result = session.execute(kSelect, {std::int64_t{1}});
    EXPECT_EQ(result.columns(), (std::vector<std::string>{"i", "d", "b", "s"}));
    const Row& row = result[0];
    EXPECT_EQ(row.getText(0), "42");
    EXPECT_EQ(row.getDouble(0), 42.0);
    EXPECT_EQ(row.getText(1), "2.5");
    EXPECT_EQ(row.getOptionalInt64(0), 42);
    expectError(ErrorKind::kType, [&] { row.getInt64(3); });
    expectError(ErrorKind::kType, [&] { row.getBool(3); });
  });
}

TEST_P(ValuesTest, AffectedRows) {
  db_->write([](Session& session) {
    for (std::int64_t id = 1; id <= 3; ++id) {
      EXPECT_EQ(session.execute(kInsert, {id, id, 0.0, false, "x"}).affectedRows(), 1);
    }
    const Query update{"vals.update_small", "UPDATE vals SET s = $1 WHERE i <= $2"};
    EXPECT_EQ(session.execute(update, {"y", std::int64_t{2}}).affectedRows(), 2);
    EXPECT_EQ(session.execute(update, {"z", std::int64_t{-5}}).affectedRows(), 0);
    // A SELECT after an UPDATE reports no changes of its own.
    EXPECT_EQ(session.execute(kCountVals).affectedRows(), 0);
    EXPECT_EQ(session.execute(Query{"vals.delete_all", "DELETE FROM vals"}).affectedRows(), 3);
  });
}

TEST_P(ValuesTest, PlaceholdersOutsideLiteralsOnly) {
  db_->write([](Session& session) {
    // $2 before $1: the SQLite adapter must keep the numbers, not the order.
    const Query insert{"vals.insert_reordered", "INSERT INTO vals (id, s) VALUES ($2, $1)"};
    session.execute(insert, {"$1", std::int64_t{1}});
    session.execute(insert, {"other", std::int64_t{2}});
  });
  const Query literal{"vals.literal",
                      "SELECT id FROM vals WHERE s = '$1' AND id = $1 -- $2 is not a parameter"};
  const Result result =
      db_->read([&](Session& session) { return session.execute(literal, {std::int64_t{1}}); });
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].getInt64(0), 1);
}

TEST_P(ValuesTest, UnnamedQueriesRunWithoutCache) {
  const Result result = db_->write([](Session& session) {
    session.execute(Query{"", "INSERT INTO vals (id, s) VALUES ($1, $2)"}, {std::int64_t{9}, "u"});
    return session.execute(Query{"", "SELECT s FROM vals WHERE id = $1"}, {std::int64_t{9}});
  });
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].getText(0), "u");
}

TEST_P(ValuesTest, WriteReturnsValueAndCommitIsVisibleToRead) {
  const std::int64_t changed = db_->write([](Session& session) {
    return session.execute(kInsert, {std::int64_t{1}, std::int64_t{5}, 0.0, true, "v"})
        .affectedRows();
  });
  EXPECT_EQ(changed, 1);
  const auto text = db_->read(
      [](Session& session) { return session.execute(kSelect, {std::int64_t{1}})[0].getText(3); });
  EXPECT_EQ(text, "v");
}

TEST_P(ValuesTest, DataSurvivesReopen) {
  db_->write([](Session& session) {
    session.execute(kInsert, {std::int64_t{1}, std::int64_t{77}, 0.0, true, "kept"});
  });
  db_.reset();
  db_ = open();
  const Result result = db_->read([](Session& s) { return s.execute(kSelect, {std::int64_t{1}}); });
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].getInt64(0), 77);
  EXPECT_EQ(result[0].getText(3), "kept");
}

TEST_P(ValuesTest, TextSortsByteWise) {
  db_->write([](Session& session) {
    const Query insert{"vals.insert_text", "INSERT INTO vals (id, s) VALUES ($1, $2)"};
    std::int64_t id = 0;
    for (const std::string_view s : {"a", "\xc3\xa9", "B", "Z", "b"})
      session.execute(insert, {++id, s});
  });
  const Result result = db_->read([](Session& session) {
    return session.execute(Query{"vals.sorted", "SELECT s FROM vals ORDER BY s"});
  });
  std::vector<std::string> sorted;
  for (const Row& row : result) sorted.push_back(row.getText(0));
  EXPECT_EQ(sorted, (std::vector<std::string>{"B", "Z", "a", "b", "\xc3\xa9"}));
}

TEST_P(ValuesTest, PingAndDescribe) {
  db_->ping();
  EXPECT_NE(db_->describe().find(service_), std::string::npos) << db_->describe();
  EXPECT_EQ(db_->dialect(), isPostgres() ? Dialect::kPostgres : Dialect::kSqlite);
}

INSTANTIATE_TEST_SUITE_P(Backends, ValuesTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
