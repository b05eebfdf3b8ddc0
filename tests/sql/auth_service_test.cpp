// The users service's domain logic over a real database, on both backends:
// bcrypt import and rehash, refresh-token rotation and family revocation.

#include <crypt.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/ratelimit/local_rate_limiter.hpp"
#include "services/users/domain/auth_service.hpp"
#include "services/users/domain/password.hpp"
#include "services/users/storage/address_store.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/users_module.hpp"
#include "sql_test_support.hpp"

namespace emporium::users {
namespace {

using sql::test::SqlTest;

std::string bcryptHash(const std::string& password) {
  auto data = std::make_unique<crypt_data>();
  const char* salt = crypt_gensalt_rn("$2b$", 4, nullptr, 0, data->setting, sizeof data->setting);
  EXPECT_NE(salt, nullptr);
  const char* hash = crypt_rn(password.c_str(), salt, data.get(), sizeof(crypt_data));
  EXPECT_NE(hash, nullptr);
  return hash;
}

class AuthServiceTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
    outbox_ = std::make_unique<events::Outbox>("users", *db_, doorbell_);
    users_ = std::make_unique<UserStore>(*db_, *outbox_);
    tokens_ = std::make_unique<TokenStore>(*db_, std::chrono::hours(24));
    key_store_ = std::make_unique<KeyStore>(*db_);
    keys_ = std::make_unique<KeyRing>(*key_store_);
    auth_ = std::make_unique<AuthService>(*users_, *tokens_, *keys_);
  }

  SignedIn registered(const std::string& email) {
    auto r = auth_->registerUser(email, "a long passphrase", "Test");
    EXPECT_TRUE(std::holds_alternative<SignedIn>(r));
    return std::get<SignedIn>(r);
  }

  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<KeyStore> key_store_;
  std::unique_ptr<KeyRing> keys_;
  std::unique_ptr<AuthService> auth_;
};

TEST_P(AuthServiceTest, ImportedBcryptHashSignsInAndIsUpgradedToArgon2id) {
  const auto hash = bcryptHash("imported secret");
  ASSERT_TRUE(hash.starts_with("$2b$"));
  ASSERT_TRUE(users_->create({"old@shop.example", "Old", hash, Role::kCustomer}).has_value());

  EXPECT_TRUE(std::holds_alternative<AuthFailure>(auth_->login("old@shop.example", "wrong one")));
  EXPECT_TRUE(users_->credentialsByEmail("old@shop.example")->password_hash.starts_with("$2b$"));

  const auto ok = auth_->login("OLD@shop.example", "imported secret");
  ASSERT_TRUE(std::holds_alternative<SignedIn>(ok));
  const auto upgraded = users_->credentialsByEmail("old@shop.example")->password_hash;
  EXPECT_TRUE(upgraded.starts_with("$argon2id$"));
  EXPECT_FALSE(needsRehash(upgraded));
  EXPECT_TRUE(
      std::holds_alternative<SignedIn>(auth_->login("old@shop.example", "imported secret")));
}

TEST_P(AuthServiceTest, AccessTokenNamesTheUserAndRole) {
  const auto s = registered("ada@example.com");
  const auto principal = keys_->verify(s.access_token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->user_id, s.user.id);
  EXPECT_EQ(principal->role, "customer");
  EXPECT_TRUE(std::holds_alternative<AuthFailure>(
      auth_->registerUser("ADA@example.com", "x y z w v u", "Again")));
}

TEST_P(AuthServiceTest, RefreshRotatesAndReuseRevokesTheFamily) {
  const auto s = registered("bob@example.com");
  const auto first = auth_->refresh(s.refresh_token);
  ASSERT_TRUE(std::holds_alternative<SignedIn>(first));
  const auto next = std::get<SignedIn>(first).refresh_token;
  EXPECT_NE(next, s.refresh_token);

  // Replaying the rotated token: refused, and the live successor dies with it.
  EXPECT_TRUE(std::holds_alternative<AuthFailure>(auth_->refresh(s.refresh_token)));
  EXPECT_TRUE(std::holds_alternative<AuthFailure>(auth_->refresh(next)));

  // Another sign-in is another family, untouched.
  const auto other = auth_->login("bob@example.com", "a long passphrase");
  ASSERT_TRUE(std::holds_alternative<SignedIn>(other));
  EXPECT_TRUE(
      std::holds_alternative<SignedIn>(auth_->refresh(std::get<SignedIn>(other).refresh_token)));
}

TEST_P(AuthServiceTest, ConcurrentRefreshesOfOneTokenYieldOneSuccessor) {
  const auto s = registered("carol@example.com");
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (std::holds_alternative<SignedIn>(auth_->refresh(s.refresh_token))) ++successes;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(successes.load(), 1);
}

TEST_P(AuthServiceTest, LogoutAndPasswordChangeEndSessions) {
  const auto s = registered("dan@example.com");
  auth_->logout(s.refresh_token);
  EXPECT_TRUE(std::holds_alternative<AuthFailure>(auth_->refresh(s.refresh_token)));
  auth_->logout("rt_not-a-token");  // unknown tokens are ignored

  const auto again = std::get<SignedIn>(auth_->login("dan@example.com", "a long passphrase"));
  EXPECT_FALSE(auth_->changePassword(again.user.id, "not the password", "another passphrase"));
  EXPECT_TRUE(auth_->changePassword(again.user.id, "a long passphrase", "another passphrase"));
  EXPECT_TRUE(std::holds_alternative<AuthFailure>(auth_->refresh(again.refresh_token)));
  EXPECT_TRUE(
      std::holds_alternative<AuthFailure>(auth_->login("dan@example.com", "a long passphrase")));
  EXPECT_TRUE(
      std::holds_alternative<SignedIn>(auth_->login("dan@example.com", "another passphrase")));
}

TEST_P(AuthServiceTest, AddressesBelongToTheirUserOnly) {
  const auto a = registered("erin@example.com");
  const auto b = registered("frank@example.com");
  AddressStore addresses(*db_);
  Address addr;
  addr.name = "Erin";
  addr.line1 = "'; DROP TABLE addresses; --";
  addr.city = "Köln";
  addr.postal_code = "50667";
  addr.country = "DE";
  const auto added = addresses.add(a.user.id, addr, 2);
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(addresses.list(a.user.id).at(0).line1, "'; DROP TABLE addresses; --");
  EXPECT_TRUE(addresses.list(b.user.id).empty());
  EXPECT_FALSE(addresses.find(b.user.id, added->id).has_value());
  EXPECT_FALSE(addresses.remove(b.user.id, added->id));
  EXPECT_TRUE(addresses.add(a.user.id, addr, 2).has_value());
  EXPECT_FALSE(addresses.add(a.user.id, addr, 2).has_value());  // the cap
  EXPECT_TRUE(addresses.remove(a.user.id, added->id));
}

// Before, a signed token of a user that does not exist passed every route
// but /me. The module's authenticator (the one every route uses) refuses it.
TEST_P(AuthServiceTest, TokensOfUsersThatDoNotExistAreRefused) {
  ratelimit::LocalRateLimiter limiter;
  UsersModule module(*db_, *outbox_, limiter, AuthLimits{});
  const auto alive = registered("alive@example.com");
  EXPECT_TRUE(module.authenticator().verify(alive.access_token).has_value());
  const auto ghost = module.keys().issue("usr_never_was", "admin").token;
  EXPECT_TRUE(module.keys().verify(ghost).has_value()) << "well signed";
  EXPECT_FALSE(module.authenticator().verify(ghost).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthServiceTest,
                         ::testing::Values(sql::test::Backend::kSqlite,
                                           sql::test::Backend::kPostgres),
                         sql::test::backendName);

}  // namespace
}  // namespace emporium::users
