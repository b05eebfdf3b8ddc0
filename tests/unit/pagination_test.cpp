#include "core/http/pagination.hpp"

#include <gtest/gtest.h>

#include "core/http/api_error.hpp"
#include "services/users/domain/common_passwords.hpp"
#include "services/users/domain/user.hpp"

namespace emporium::http {
namespace {

std::string fieldOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 422);
    return e.errors().empty() ? "" : e.errors()[0].field;
  }
  return "no error";
}

Request withQuery(std::string_view query) {
  Request r;
  r.query = query;
  return r;
}

TEST(Pagination, LimitDefaultsAndBounds) {
  EXPECT_EQ(pageLimit(withQuery("")), kDefaultPageSize);
  EXPECT_EQ(pageLimit(withQuery("limit=1")), 1U);
  EXPECT_EQ(pageLimit(withQuery("limit=100")), 100U);
  for (const char* bad : {"limit=0", "limit=101", "limit=-1", "limit=abc", "limit=5x", "limit="}) {
    EXPECT_EQ(fieldOf([&] { (void)pageLimit(withQuery(bad)); }), "limit") << bad;
  }
}

TEST(Pagination, CursorRoundTripsAndRejectsForgeries) {
  const auto cursor = encodeCursor("usr_01ABC|2026-11-26T00:00:00Z");
  EXPECT_EQ(cursor.find_first_of("+/="), std::string::npos);  // URL-safe
  EXPECT_EQ(pageCursor(withQuery("cursor=" + cursor)), "usr_01ABC|2026-11-26T00:00:00Z");
  EXPECT_FALSE(pageCursor(withQuery("")).has_value());
  for (const char* bad : {"cursor=%%%", "cursor=bm90LW91cnM", "cursor=!!!!"}) {
    EXPECT_EQ(fieldOf([&] { (void)pageCursor(withQuery(bad)); }), "cursor") << bad;
  }
  EXPECT_EQ(fieldOf([&] { (void)pageCursor(withQuery("cursor=" + std::string(5000, 'A'))); }),
            "cursor");
}

TEST(PasswordPolicy, CommonPasswordsAndNamesAreChecked) {
  EXPECT_GT(users::commonPasswordCount(), 100U);
  EXPECT_TRUE(users::isCommonPassword("Password123"));
  EXPECT_TRUE(users::checkPassword("qwertyuiop").has_value());
  EXPECT_FALSE(users::isCommonPassword("violet tractor umbrella"));
  EXPECT_FALSE(users::checkName("Zoë 🛒").has_value());
  EXPECT_TRUE(users::checkName("bell\x07").has_value());
  EXPECT_TRUE(users::checkName("   ").has_value());
  EXPECT_TRUE(users::checkName(std::string(201, 'a')).has_value());
  EXPECT_TRUE(users::checkName("evil\u202Egnp.exe").has_value());  // right-to-left override
  EXPECT_TRUE(users::checkName("a\u0085b").has_value());           // C1 control
  EXPECT_TRUE(users::checkName("\u200B\u200B").has_value());       // only zero-width spaces
  EXPECT_FALSE(users::checkName("Ωμέγα 李").has_value());
  EXPECT_TRUE(users::checkPassword("        ").has_value());
}

}  // namespace
}  // namespace emporium::http
