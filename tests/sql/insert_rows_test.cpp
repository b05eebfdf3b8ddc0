// Session::insertRows(): COPY on PostgreSQL, a cached INSERT on SQLite. The
// same rows must come back on both, whatever bytes the text holds.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

constexpr std::string_view kValsColumns[] = {"id", "i", "d", "b", "s"};
constexpr Query kSelectAll{"insert_rows.select_all", "SELECT id, i, d, b, s FROM vals ORDER BY id"};
constexpr Query kCountInserted{"insert_rows.count", "SELECT COUNT(*) FROM vals"};

struct ValsRow {
  std::int64_t id;
  std::optional<std::int64_t> i;
  std::optional<double> d;
  std::optional<bool> b;
  std::optional<std::string> s;
};

std::vector<Param> toParams(const std::vector<ValsRow>& rows) {
  std::vector<Param> params;
  for (const ValsRow& row : rows) {
    params.emplace_back(row.id);
    params.emplace_back(row.i ? Param(*row.i) : Param(nullptr));
    params.emplace_back(row.d ? Param(*row.d) : Param(nullptr));
    params.emplace_back(row.b ? Param(*row.b) : Param(nullptr));
    params.emplace_back(row.s ? Param(std::string_view(*row.s)) : Param(nullptr));
  }
  return params;
}

std::int64_t countVals(Database& db) {
  return db.read([](Session& s) { return s.execute(kCountInserted)[0].getInt64(0); });
}

class InsertRowsTest : public SqlTest {};

TEST_P(InsertRowsTest, EveryValueRoundTrips) {
  const std::vector<ValsRow> rows = {
      {1, 0, 0.0, false, ""},
      {2, std::numeric_limits<std::int64_t>::min(), -1.5, true, "tab\there\tand\tthere"},
      {3, std::numeric_limits<std::int64_t>::max(), 0.1, false, "line one\nline two\n"},
      {4, -1, 1e-300, true, R"(back\slash \\ two and a trailing \)"},
      {5, 42, 5e-324, false, "\\N is text, not NULL"},
      {6, 7, std::numeric_limits<double>::max(), true, "\\.\n\\.\r\ncarriage\rreturn"},
      {7, 8, -2.5e300, false, "héllo wörld ✓ 🚀 日本語 \xc2\xa0nbsp"},
      {8, 9, 3.141592653589793, true, "'); DROP TABLE vals; -- \"quoted\" $1 ?1 %s"},
      {9, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      {10, 10, 2.0, std::nullopt, "\t"},
  };
  const std::vector<Param> params = toParams(rows);
  db_->write([&](Session& s) { s.insertRows("vals", kValsColumns, params); });

  const Result result = db_->read([](Session& s) { return s.execute(kSelectAll); });
  ASSERT_EQ(result.size(), rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const Row& row = result[k];
    const ValsRow& want = rows[k];
    SCOPED_TRACE("row " + std::to_string(want.id));
    EXPECT_EQ(row.getInt64(0), want.id);
    EXPECT_EQ(row.getOptionalInt64(1), want.i);
    if (want.d) {
      EXPECT_EQ(row.getDouble(2), *want.d);
    } else {
      EXPECT_TRUE(row.isNull(2));
    }
    if (want.b) {
      EXPECT_EQ(row.getBool(3), *want.b);
    } else {
      EXPECT_TRUE(row.isNull(3));
    }
    EXPECT_EQ(row.getOptionalText(4), want.s);
  }
}

TEST_P(InsertRowsTest, ManyRowsAcrossChunksAndCalls) {
  // ~3 MB of COPY text: several chunks, and a second call reusing the
  // statement (SQLite) or starting a new COPY (PostgreSQL) in one transaction.
  constexpr std::int64_t kRows = 20000;
  std::vector<std::string> texts;
  texts.reserve(kRows);
  for (std::int64_t id = 1; id <= kRows; ++id) {
    texts.push_back("row " + std::to_string(id) + std::string(120, id % 2 == 0 ? '\t' : 'x'));
  }
  std::vector<Param> params;
  for (std::int64_t id = 1; id <= kRows; ++id) {
    params.insert(params.end(), {id, id * 3, static_cast<double>(id) / 4, id % 3 == 0,
                                 std::string_view(texts[static_cast<std::size_t>(id - 1)])});
  }
  const std::span<const Param> all(params);
  const std::size_t half = (kRows / 2) * std::size(kValsColumns);
  db_->write([&](Session& s) {
    s.insertRows("vals", kValsColumns, all.first(half));
    s.insertRows("vals", kValsColumns, all.subspan(half));
    s.insertRows("vals", kValsColumns, {});  // nothing to do
  });
  EXPECT_EQ(countVals(*db_), kRows);
  db_->read([&](Session& s) {
    const Result sums =
        s.execute(Query{"insert_rows.sums",
                        "SELECT SUM(i), SUM(d), SUM(CASE WHEN b THEN 1 ELSE 0 END), "
                        "SUM(LENGTH(s)) FROM vals"});
    EXPECT_EQ(sums[0].getInt64(0), 3 * kRows * (kRows + 1) / 2);
    EXPECT_DOUBLE_EQ(sums[0].getDouble(1),
                     static_cast<double>(kRows) * static_cast<double>(kRows + 1) / 8.0);
    EXPECT_EQ(sums[0].getInt64(2), kRows / 3);
    std::int64_t length = 0;
    for (const std::string& text : texts) length += static_cast<std::int64_t>(text.size());
    EXPECT_EQ(sums[0].getInt64(3), length);
    const Result tabs = s.execute(
        Query{"insert_rows.select_one", "SELECT s FROM vals WHERE id = $1"}, {std::int64_t{20000}});
    EXPECT_EQ(tabs[0].getText(0), texts.back());
  });
}

TEST_P(InsertRowsTest, JoinsTheTransaction) {
  const std::vector<ValsRow> rows = {{1, 1, 1.0, true, "a"}, {2, 2, 2.0, false, "b"}};
  const std::vector<Param> params = toParams(rows);
  EXPECT_THROW(db_->write([&](Session& s) {
    s.insertRows("vals", kValsColumns, params);
    // Visible to the transaction that wrote them...
    EXPECT_EQ(s.execute(kCountInserted)[0].getInt64(0), 2);
    throw std::runtime_error("changed my mind");
  }),
               std::runtime_error);
  // ...and gone with its rollback.
  EXPECT_EQ(countVals(*db_), 0);
}

TEST_P(InsertRowsTest, ConstraintViolationsKeepTheirKind) {
  db_->write([](Session& s) {
    s.execute(Query{"insert_rows.parent", "INSERT INTO parents (id, email) VALUES (1, 'a@x')"});
  });
  constexpr std::string_view kParentColumns[] = {"id", "email"};
  const std::vector<Param> duplicate = {std::int64_t{2}, "b@x", std::int64_t{3}, "a@x"};
  expectError(ErrorKind::kUniqueViolation, [&] {
    db_->write([&](Session& s) { s.insertRows("parents", kParentColumns, duplicate); });
  });
  constexpr std::string_view kChildColumns[] = {"id", "parent_id", "qty"};
  const std::vector<Param> orphan = {std::int64_t{1}, std::int64_t{99}, std::int64_t{1}};
  expectError(ErrorKind::kForeignKeyViolation, [&] {
    db_->write([&](Session& s) { s.insertRows("children", kChildColumns, orphan); });
  });
  const std::vector<Param> negative = {std::int64_t{1}, std::int64_t{1}, std::int64_t{-1}};
  expectError(ErrorKind::kCheckViolation, [&] {
    db_->write([&](Session& s) { s.insertRows("children", kChildColumns, negative); });
  });
  const std::int64_t parents = db_->read([](Session& s) {
    return s.execute(Query{"insert_rows.count_parents", "SELECT COUNT(*) FROM parents"})[0]
        .getInt64(0);
  });
  EXPECT_EQ(parents, 1);
}

TEST_P(InsertRowsTest, RefusesWhatItCannotSend) {
  const std::string with_nul("nul\0byte", 8);
  const std::vector<ValsRow> rows = {{1, 1, 1.0, true, "fine"}, {2, 2, 2.0, false, with_nul}};
  const std::vector<Param> params = toParams(rows);
  if (isPostgres()) {
    // PostgreSQL text cannot hold NUL; the COPY is aborted and the
    // connection stays usable for the next transaction.
    expectError(ErrorKind::kInvalidValue, [&] {
      db_->write([&](Session& s) { s.insertRows("vals", kValsColumns, params); });
    });
    EXPECT_EQ(countVals(*db_), 0);
  }

  const std::vector<Param> ragged = {std::int64_t{1}, std::int64_t{2}};
  expectError(ErrorKind::kOther,
              [&] { db_->write([&](Session& s) { s.insertRows("vals", kValsColumns, ragged); }); });
  constexpr std::string_view kBadTable = "vals; DROP TABLE vals";
  const std::vector<Param> one = {std::int64_t{1}, nullptr, nullptr, nullptr, nullptr};
  expectError(ErrorKind::kOther,
              [&] { db_->write([&](Session& s) { s.insertRows(kBadTable, kValsColumns, one); }); });
  constexpr std::string_view kBadColumns[] = {"id", "i", "d", "b", "s\"--"};
  expectError(ErrorKind::kOther,
              [&] { db_->write([&](Session& s) { s.insertRows("vals", kBadColumns, one); }); });
  constexpr std::string_view kTwice[] = {"id", "id"};
  const std::vector<Param> two = {std::int64_t{1}, std::int64_t{1}};
  expectError(ErrorKind::kOther,
              [&] { db_->write([&](Session& s) { s.insertRows("vals", kTwice, two); }); });
  EXPECT_EQ(countVals(*db_), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, InsertRowsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
