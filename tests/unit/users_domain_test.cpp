#include <gtest/gtest.h>

#include "core/util/ids.hpp"
#include "services/users/domain/password.hpp"
#include "services/users/domain/user.hpp"

namespace emporium::users {
namespace {

TEST(UsersDomain, EmailsAreCaseInsensitiveAndValidated) {
  EXPECT_EQ(normalizeEmail("  Ada@Example.COM "), "ada@example.com");
  EXPECT_FALSE(checkEmail("ada@example.com").has_value());
  EXPECT_TRUE(checkEmail("").has_value());
  EXPECT_TRUE(checkEmail("no-at-sign").has_value());
  EXPECT_TRUE(checkEmail("a@b@c.d").has_value());
  EXPECT_TRUE(checkEmail("a b@c.de").has_value());
  EXPECT_TRUE(checkEmail("a@nodot").has_value());
  EXPECT_TRUE(checkEmail(std::string(300, 'a') + "@x.io").has_value());
}

TEST(UsersDomain, PasswordsNeedEightCharacters) {
  EXPECT_TRUE(checkPassword("short").has_value());
  EXPECT_FALSE(checkPassword("long enough").has_value());
  EXPECT_TRUE(checkPassword(std::string(2000, 'x')).has_value());
}

TEST(UsersDomain, Argon2idHashVerifies) {
  const auto hash = hashPassword("correct horse");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0U);
  EXPECT_TRUE(verifyPassword("correct horse", hash));
  EXPECT_FALSE(verifyPassword("correct horsE", hash));
  EXPECT_NE(hashPassword("correct horse"), hash);  // salted
}

TEST(Ids, PrefixedSortableAndUnique) {
  const auto a = util::newId("usr");
  const auto b = util::newId("usr");
  EXPECT_EQ(a.size(), 4U + 26U);
  EXPECT_EQ(a.rfind("usr_", 0), 0U);
  EXPECT_NE(a, b);
  const auto t = util::nowRfc3339();
  EXPECT_EQ(t.size(), 27U);
  EXPECT_EQ(t.back(), 'Z');
}

}  // namespace
}  // namespace emporium::users
