// Constraint violations map to the right ErrorKind, and a failed write()
// leaves nothing behind.

#include <stdexcept>
#include <string>

#include "sql_test_support.hpp"

namespace emporium::sql::test {
namespace {

constexpr Query kInsertParent{"parents.insert", "INSERT INTO parents (id, email) VALUES ($1, $2)"};
constexpr Query kInsertChild{"children.insert",
                             "INSERT INTO children (id, parent_id, qty) VALUES ($1, $2, $3)"};
constexpr Query kCountParents{"parents.count", "SELECT COUNT(*) FROM parents"};

class ErrorsTest : public SqlTest {
 protected:
  std::int64_t countParents() {
    return db_->read([](Session& s) { return s.execute(kCountParents)[0].getInt64(0); });
  }
  void insertParent(std::int64_t id, std::string_view email) {
    db_->write([&](Session& s) { s.execute(kInsertParent, {id, email}); });
  }
};

TEST_P(ErrorsTest, UniqueViolation) {
  insertParent(1, "a@example.com");
  const std::string message =
      expectError(ErrorKind::kUniqueViolation, [&] { insertParent(2, "a@example.com"); });
  EXPECT_NE(message.find("parents.insert"), std::string::npos) << message;
  expectError(ErrorKind::kUniqueViolation, [&] { insertParent(1, "b@example.com"); });
  EXPECT_EQ(countParents(), 1);
}

TEST_P(ErrorsTest, ForeignKeyViolation) {
  expectError(ErrorKind::kForeignKeyViolation, [&] {
    db_->write([](Session& s) {
      s.execute(kInsertChild, {std::int64_t{1}, std::int64_t{99}, std::int64_t{1}});
    });
  });
}

TEST_P(ErrorsTest, CheckAndNotNullViolations) {
  insertParent(1, "a@example.com");
  expectError(ErrorKind::kCheckViolation, [&] {
    db_->write([](Session& s) {
      s.execute(kInsertChild, {std::int64_t{1}, std::int64_t{1}, std::int64_t{-1}});
    });
  });
  expectError(ErrorKind::kCheckViolation, [&] {
    db_->write([](Session& s) { s.execute(kInsertParent, {std::int64_t{2}, nullptr}); });
  });
}

TEST_P(ErrorsTest, ExceptionRollsBackTheWholeTransaction) {
  EXPECT_THROW(db_->write([](Session& s) {
    s.execute(kInsertParent, {std::int64_t{1}, "a@example.com"});
    throw std::runtime_error("changed my mind");
  }),
               std::runtime_error);
  EXPECT_EQ(countParents(), 0);

  expectError(ErrorKind::kUniqueViolation, [&] {
    db_->write([](Session& s) {
      s.execute(kInsertParent, {std::int64_t{1}, "a@example.com"});
      s.execute(kInsertParent, {std::int64_t{2}, "a@example.com"});
    });
  });
  EXPECT_EQ(countParents(), 0);

  // The connections (and their cached statements) still work afterwards.
  insertParent(3, "c@example.com");
  EXPECT_EQ(countParents(), 1);
}

TEST_P(ErrorsTest, ReadCannotWrite) {
  expectError(ErrorKind::kOther, [&] {
    db_->read([](Session& s) { s.execute(kInsertParent, {std::int64_t{1}, "r@example.com"}); });
  });
  EXPECT_EQ(countParents(), 0);
}

TEST_P(ErrorsTest, OneNameForTwoTextsIsRefused) {
  db_->read([](Session& s) { s.execute(Query{"dup.name", "SELECT 1"}); });
  const std::string message = expectError(ErrorKind::kOther, [&] {
    db_->read([](Session& s) { s.execute(Query{"dup.name", "SELECT 2"}); });
  });
  EXPECT_NE(message.find("dup.name"), std::string::npos) << message;
}

TEST_P(ErrorsTest, MalformedQueriesAreReported) {
  expectError(ErrorKind::kOther, [&] {
    db_->read([](Session& s) { s.execute(Query{"two.statements", "SELECT 1; SELECT 2"}); });
  });
  expectError(ErrorKind::kOther, [&] {
    db_->read([](Session& s) {
      s.execute(Query{"wrong.arity", "SELECT id FROM parents WHERE id = $1 AND email = $2"},
                {std::int64_t{1}});
    });
  });
  const std::string message = expectError(ErrorKind::kOther, [&] {
    db_->read([](Session& s) { s.execute(Query{"bad.syntax", "SELEC nonsense"}); });
  });
  EXPECT_NE(message.find("bad.syntax"), std::string::npos) << message;
  db_->ping();
}

INSTANTIATE_TEST_SUITE_P(Backends, ErrorsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::sql::test
