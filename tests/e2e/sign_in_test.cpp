// Sign-in under attack, through HTTP on both backends (issue 14, part 4):
// strangers' wrong guesses are capped per account per hour, and cannot keep
// out the owner, whose browser carries the device cookie of an earlier
// sign-in. Clients are told apart by X-Forwarded-For, trusted here.

#include <gtest/gtest.h>

#include <string>

#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

constexpr char kOwner[] = "owner@example.com";

class SignInTest : public ShopTest {
 protected:
  void SetUp() override {
    ShopTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    env()["EMPORIUM_RATE_LIMITS"] = "on";
    env()["EMPORIUM_HTTP_TRUST_FORWARDED_FOR"] = "true";
    ASSERT_NE(startServer(), 0);
    ASSERT_FALSE(registerCustomer(kOwner).empty());
  }

  HttpReply login(const std::string& address, const std::string& password,
                  const std::string& device_cookie = {}, const Headers& extra = {}) {
    Headers h{{"Content-Type", "application/json"}, {"X-Forwarded-For", address}};
    if (!device_cookie.empty()) h["Cookie"] = device_cookie;
    for (const auto& [k, v] : extra) h[k] = v;
    return call("POST", "/api/v1/auth/login",
                "{\"email\":" + jsonQuote(kOwner) + ",\"password\":" + jsonQuote(password) + "}",
                h);
  }

  // An attacker guessing from ever new addresses, as a botnet would, until
  // the shop refuses `refusals` times in a row; how many guesses were checked.
  int attack(int attempts) {
    int checked = 0;
    for (int i = 0; i < attempts; ++i) {
      const auto r =
          login("198.51.100." + std::to_string(i / 2 + 1), "wrong-password-" + std::to_string(i));
      if (r.status == 401) {
        ++checked;
      } else {
        EXPECT_TRUE(isProblem(r, 429)) << "attempt " << i + 1;
        EXPECT_FALSE(r.header("retry-after").empty());
      }
    }
    return checked;
  }
};

// "name=value" of a Set-Cookie header.
std::string cookiePair(const std::string& set_cookie) {
  return set_cookie.substr(0, set_cookie.find(';'));
}

TEST_P(SignInTest, UnknownClientsGetAtMostTenWrongGuessesPerAccountPerHour) {
  EXPECT_EQ(attack(40), 10);
  // Unknown clients now wait, whatever they send, for most of the hour.
  const auto r = login("203.0.113.50", kCustomerPassword);
  ASSERT_TRUE(isProblem(r, 429));
  EXPECT_GT(std::stoi(r.header("retry-after")), 3000);
}

TEST_P(SignInTest, OneAddressSpendsAtMostHalfOfTheAccountsGuesses) {
  int checked = 0;
  for (int i = 0; i < 8; ++i) checked += login("198.51.100.9", "wrong-password").status == 401;
  EXPECT_EQ(checked, 5);
  EXPECT_EQ(login("198.51.100.10", "wrong-password").status, 401);
}

TEST_P(SignInTest, TheOwnerWithTheDeviceCookieSignsInDuringAnAttack) {
  const auto first = login("192.0.2.10", kCustomerPassword);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto set_cookie = first.header("set-cookie");
  ASSERT_EQ(set_cookie.rfind("emporium_device_", 0), 0U) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Max-Age="), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "plain HTTP: " << set_cookie;

  EXPECT_EQ(attack(40), 10);
  // Before the fix, five wrong guesses kept the owner out, right password and all.
  const auto owner = login("192.0.2.10", kCustomerPassword, cookiePair(set_cookie));
  EXPECT_EQ(owner.status, 200) << owner.body;
  EXPECT_FALSE(owner.header("set-cookie").empty());
  // Even from an address the attacker used, and while the attack goes on.
  EXPECT_EQ(login("198.51.100.1", kCustomerPassword, cookiePair(set_cookie)).status, 200);
  EXPECT_EQ(attack(4), 0);
  // The cookie of another account, or a doctored one, makes no known client.
  ASSERT_FALSE(registerCustomer("other@example.com").empty());
  const auto other =
      call("POST", "/api/v1/auth/login",
           "{\"email\":\"other@example.com\",\"password\":" + jsonQuote(kCustomerPassword) + "}",
           {{"Content-Type", "application/json"}, {"X-Forwarded-For", "192.0.2.11"}});
  ASSERT_EQ(other.status, 200);
  const auto other_pair = cookiePair(other.header("set-cookie"));
  const auto owner_name = cookiePair(set_cookie).substr(0, cookiePair(set_cookie).find('='));
  const auto foreign = owner_name + other_pair.substr(other_pair.find('='));
  EXPECT_TRUE(isProblem(login("192.0.2.12", kCustomerPassword, foreign), 429));
  auto doctored = cookiePair(set_cookie);
  doctored.back() = doctored.back() == 'A' ? 'B' : 'A';
  EXPECT_TRUE(isProblem(login("192.0.2.12", kCustomerPassword, doctored), 429));
}

TEST_P(SignInTest, TheDeviceCookieIsSecureBehindTls) {
  const auto r = login("192.0.2.10", kCustomerPassword, {}, {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.header("set-cookie").find("; Secure"), std::string::npos) << r.header("set-cookie");
}

INSTANTIATE_TEST_SUITE_P(Backends, SignInTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);
INSTANTIATE_TEST_SUITE_P(Cluster, SignInTest, kClusterTopology, backendTestName);

}  // namespace
}  // namespace emporium::test
