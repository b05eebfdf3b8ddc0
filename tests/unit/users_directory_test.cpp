// Whom notifications mail, as the users service answers: the user's own
// address, and for operational mail the configured addresses plus every admin.

#include "services/notifications/users_directory.hpp"

#include <gtest/gtest.h>

#include "support/fakes/fake_users.hpp"

namespace emporium::notifications {
namespace {

TEST(UsersDirectory, ConfiguredAdminsFirstNoneTwice) {
  emporium::test::FakeUsers users;
  users.addUser("cto@example.com", "CTO", /*admin=*/true);
  users.addUser("boss@example.com", "Boss", /*admin=*/true);
  users.addUser("customer@example.com", "Customer");
  // Configured twice, and once in another case than the account's.
  UsersDirectory directory(users, {"ops@example.com", "Boss@Example.com", "ops@example.com"});

  const auto admins = directory.admins();
  ASSERT_EQ(admins.size(), 3U);
  EXPECT_EQ(admins[0].email, "ops@example.com");
  EXPECT_EQ(admins[0].name, "Shop admin");
  EXPECT_EQ(admins[1].email, "Boss@Example.com");
  EXPECT_EQ(admins[1].name, "Shop admin");
  EXPECT_EQ(admins[2].email, "cto@example.com");
  EXPECT_EQ(admins[2].name, "CTO");
}

TEST(UsersDirectory, AUserIsFoundUntilGone) {
  emporium::test::FakeUsers users;
  const std::string id = users.addUser("ada@example.com", "Ada Lovelace");
  UsersDirectory directory(users, {});

  const auto found = directory.user(id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->email, "ada@example.com");
  EXPECT_EQ(found->name, "Ada Lovelace");

  users.removeUser(id);
  EXPECT_FALSE(directory.user(id).has_value());
  EXPECT_TRUE(directory.admins().empty());
}

}  // namespace
}  // namespace emporium::notifications
