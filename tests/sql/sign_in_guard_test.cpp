// SignInGuard over real sign_in_* tables, on both backends: the caps per
// account, per (account, address) and per device, the sliding window,
// successes that do not count, device cookies, and concurrent guesses that
// cannot pass the cap together.

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "core/sql/migrations.hpp"
#include "services/users/domain/sign_in_guard.hpp"
#include "services/users/storage/sign_in_store.hpp"
#include "services/users/storage/user_store.hpp"
#include "sql_test_support.hpp"

namespace emporium::users {
namespace {

using sql::test::Backend;
using sql::test::backendName;
using sql::test::SqlTest;

constexpr std::int64_t kSignInStart = 1'800'000'000;
constexpr char kEmail[] = "owner@example.com";

class SignInGuardTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
    store_ = std::make_unique<SignInStore>(*db_);
    guard_ = std::make_unique<SignInGuard>(*store_, SignInPolicy{}, [this] { return now_.load(); });
  }

  // One attempt that turns out wrong; whether it was let through.
  bool guess(const std::string& address, const std::string& cookie = {},
             const std::string& email = kEmail) {
    return std::holds_alternative<SignInAdmission>(guard_->admit({email, address, cookie}));
  }

  std::atomic<std::int64_t> now_{kSignInStart};
  std::unique_ptr<SignInStore> store_;
  std::unique_ptr<SignInGuard> guard_;
};

TEST_P(SignInGuardTest, UnknownClientsGetTenFailuresPerAccountAndFivePerAddress) {
  int admitted = 0;
  for (int i = 0; i < 6; ++i) admitted += guess("198.51.100.1") ? 1 : 0;
  EXPECT_EQ(admitted, 5) << "one address spends at most five of the account's guesses";
  for (int i = 0; i < 20; ++i) admitted += guess("198.51.100." + std::to_string(2 + i)) ? 1 : 0;
  EXPECT_EQ(admitted, 10);
  const auto refused = guard_->admit({kEmail, "203.0.113.7", ""});
  ASSERT_TRUE(std::holds_alternative<SignInRefusal>(refused));
  const auto retry = std::get<SignInRefusal>(refused).retry_after;
  EXPECT_GT(retry.count(), 3500);
  EXPECT_LE(retry.count(), 3600);
  // Another account is not affected.
  EXPECT_TRUE(guess("198.51.100.1", {}, "other@example.com"));
}

TEST_P(SignInGuardTest, TheWindowSlides) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(guess("198.51.100." + std::to_string(i)));
    now_ += 60;
  }
  EXPECT_FALSE(guess("203.0.113.7"));
  // The first failure leaves the window an hour after it was made.
  now_ = kSignInStart + 3600;
  EXPECT_TRUE(guess("203.0.113.7"));
  EXPECT_FALSE(guess("203.0.113.8"));
}

TEST_P(SignInGuardTest, ASuccessIsNoFailure) {
  for (int i = 0; i < 30; ++i) {
    auto verdict = guard_->admit({kEmail, "198.51.100.1", ""});
    ASSERT_TRUE(std::holds_alternative<SignInAdmission>(verdict)) << "attempt " << i + 1;
    guard_->succeeded(std::get<SignInAdmission>(verdict));
  }
}

TEST_P(SignInGuardTest, AKnownDeviceIsNotHeldBackByOthersFailures) {
  const auto cookie = guard_->issueDeviceCookie(kEmail);
  for (int i = 0; i < 30; ++i) (void)guess("198.51.100." + std::to_string(i));
  EXPECT_FALSE(guess("198.51.100.1"));
  auto verdict = guard_->admit({kEmail, "198.51.100.1", cookie});
  ASSERT_TRUE(std::holds_alternative<SignInAdmission>(verdict));
  EXPECT_TRUE(std::get<SignInAdmission>(verdict).known_device);
  // A device that guesses wrong is capped on its own.
  int admitted = 1;
  for (int i = 0; i < 20; ++i) admitted += guess("198.51.100.1", cookie) ? 1 : 0;
  EXPECT_EQ(admitted, 10);
}

TEST_P(SignInGuardTest, ForeignTamperedOrExpiredCookiesMakeAnUnknownClient) {
  const auto cookie = guard_->issueDeviceCookie("someone@example.com");
  for (int i = 0; i < 30; ++i) (void)guess("198.51.100." + std::to_string(i));
  EXPECT_FALSE(guess("203.0.113.1", cookie)) << "another account's cookie";
  auto tampered = guard_->issueDeviceCookie(kEmail);
  tampered[4] = tampered[4] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(guess("203.0.113.1", tampered));
  EXPECT_FALSE(guess("203.0.113.1", "v1.x.99999999999.y"));
  const auto own = guard_->issueDeviceCookie(kEmail);
  EXPECT_TRUE(guess("203.0.113.1", own));
  now_ += guard_->policy().device_lifetime.count();
  for (int i = 0; i < 30; ++i) (void)guess("198.51.100." + std::to_string(i));
  EXPECT_FALSE(guess("203.0.113.1", own)) << "expired";
}

TEST_P(SignInGuardTest, TheCookieKeyIsSharedByEveryProcess) {
  SignInStore other_store(*db_);
  SignInGuard other(other_store, SignInPolicy{}, [this] { return now_.load(); });
  const auto cookie = other.issueDeviceCookie(kEmail);
  for (int i = 0; i < 30; ++i) (void)guess("198.51.100." + std::to_string(i));
  EXPECT_TRUE(guess("203.0.113.1", cookie));
}

TEST_P(SignInGuardTest, ConcurrentGuessesCannotPassTheCapTogether) {
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        if (guess("198.51.100." + std::to_string(t * 10 + i))) ++admitted;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Each attempt counts those before it: exactly the cap gets through.
  EXPECT_EQ(admitted.load(), 10);
}

TEST_P(SignInGuardTest, OldFailuresArePurged) {
  for (int i = 0; i < 5; ++i) (void)guess("198.51.100.1");
  now_ += 7200;
  EXPECT_TRUE(guess("198.51.100.1"));  // purges what is older than the window
  const auto rows = db_->read([](sql::Session& s) {
    return s.execute(sql::Query{"t.count", "SELECT COUNT(*) FROM sign_in_failures"})[0].getInt64(0);
  });
  EXPECT_EQ(rows, 2) << "the attempt just made, for its account and its address";
}

INSTANTIATE_TEST_SUITE_P(Backends, SignInGuardTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::users
