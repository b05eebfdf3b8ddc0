#include "core/util/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace emporium::util {
namespace {

enum class Problem { kNotFound, kConflict };

Result<std::string, Problem> find(bool present) {
  if (!present) return Err{Problem::kNotFound};
  return std::string("lamp");
}

TEST(Result, HoldsAValueOrAnError) {
  const auto found = find(true);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(static_cast<bool>(found));
  EXPECT_EQ(found.value(), "lamp");

  const auto missing = find(false);
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), Problem::kNotFound);
}

TEST(Result, AValueAndAnErrorOfTheSameTypeStayApart) {
  const Result<int, int> value = 3;
  const Result<int, int> error = Err{4};
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value.value(), 3);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error(), 4);
}

TEST(Result, MovesOutAValueThatCannotBeCopied) {
  Result<std::unique_ptr<int>, Problem> result = std::make_unique<int>(5);
  const std::unique_ptr<int> taken = std::move(result).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);
}

TEST(Result, VoidSpecialisationIsOkOrAnError) {
  const Result<void, Problem> done;
  EXPECT_TRUE(done.ok());
  const Result<void, Problem> refused = Err{Problem::kConflict};
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), Problem::kConflict);
}

}  // namespace
}  // namespace emporium::util
