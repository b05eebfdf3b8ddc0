#include <gtest/gtest.h>

#include <set>

#include "core/util/ids.hpp"
#include "services/notifications/mail/mail_message.hpp"
#include "services/users/domain/live_user_authenticator.hpp"
#include "services/users/domain/password.hpp"
#include "services/users/domain/user.hpp"
#include "services/users/storage/key_encryption.hpp"

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

// Before, sign-up took a<b>@x.test, which the mailer can never write: each
// mail to it failed (and was retried) forever. Now one rule serves both.
TEST(UsersDomain, SignUpAcceptsExactlyTheAddressesTheMailerCanUse) {
  const std::vector<std::string> addresses = {"ada@example.com",
                                              "o'brien+tag@example.co.uk",
                                              "zo\xC3\xAB@example.com",
                                              "a<b>@x.test",
                                              "a>b@x.test",
                                              "\"quoted\"@x.test",
                                              "a..b@x.test",
                                              ".a@x.test",
                                              "a.@x.test",
                                              "a@x..test",
                                              "a@.x.test",
                                              "a@x.test.",
                                              "(comment)a@x.test",
                                              "a@[192.0.2.1]",
                                              "a,b@x.test",
                                              "a;b@x.test",
                                              "a:b@x.test",
                                              "a\\b@x.test",
                                              std::string(65, 'l') + "@x.test"};
  int refused = 0;
  for (const auto& address : addresses) {
    bool mailer_refuses = false;
    try {
      (void)notifications::addressOf("Some Body <" + address + ">");
    } catch (const notifications::MimeError&) {
      mailer_refuses = true;
    }
    EXPECT_EQ(checkEmail(address).has_value(), mailer_refuses) << address;
    refused += mailer_refuses ? 1 : 0;
  }
  EXPECT_EQ(refused, static_cast<int>(addresses.size()) - 3);
  EXPECT_EQ(checkEmail("a<b>@x.test"), "must be a valid email address");
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

// Any token names its user as the subject; only "valid" verifies.
class SubjectTokens final : public http::Authenticator {
 public:
  std::optional<http::Principal> verify(std::string_view token) const override {
    if (!token.starts_with("valid:")) return std::nullopt;
    return http::Principal{std::string(token.substr(6)), "customer", "jti"};
  }
};

// Before the check, a well-signed token of a deleted user passed every route
// but /me (audit, issue 14).
TEST(LiveUserAuthenticator, RefusesTokensOfUsersThatDoNotExist) {
  const SubjectTokens tokens;
  std::set<std::string> users{"usr_alive", "usr_doomed"};
  int reads = 0;
  auto now = std::chrono::steady_clock::time_point{};
  const LiveUserAuthenticator auth(
      tokens,
      [&](const std::string& id) {
        ++reads;
        return users.count(id) == 1;
      },
      std::chrono::seconds(5), [&] { return now; });
  EXPECT_TRUE(auth.verify("valid:usr_alive").has_value());
  EXPECT_FALSE(auth.verify("valid:usr_ghost").has_value());
  EXPECT_FALSE(auth.verify("forged:usr_alive").has_value());
  EXPECT_TRUE(auth.verify("valid:usr_doomed").has_value());
  EXPECT_EQ(reads, 3);
  // Cached briefly: a burst of requests costs one read.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(auth.verify("valid:usr_alive").has_value());
  EXPECT_EQ(reads, 3);
  users.erase("usr_doomed");
  now += std::chrono::seconds(5);
  EXPECT_FALSE(auth.verify("valid:usr_doomed").has_value()) << "refused once the cache expires";
}

TEST(KeyEncryptionKey, ParsesHexOrBase64Of32BytesOnly) {
  const std::string hex(64, 'a');
  EXPECT_TRUE(KeyEncryptionKey::parse(hex).has_value());
  EXPECT_TRUE(KeyEncryptionKey::parse(" " + hex + "\n").has_value()) << "a file's newline";
  EXPECT_TRUE(KeyEncryptionKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").has_value());
  EXPECT_TRUE(KeyEncryptionKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").has_value());
  EXPECT_FALSE(KeyEncryptionKey::parse("").has_value());
  EXPECT_FALSE(KeyEncryptionKey::parse(std::string(62, 'a')).has_value());
  EXPECT_FALSE(KeyEncryptionKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==").has_value())
      << "31 bytes";
  EXPECT_FALSE(KeyEncryptionKey::parse("correct horse battery staple").has_value());
}

TEST(KeyEncryptionKey, SealsSoThatOnlyTheSameKeyOpens) {
  const auto kek = *KeyEncryptionKey::parse(std::string(64, 'a'));
  const auto other = *KeyEncryptionKey::parse(std::string(64, 'b'));
  const auto sealed = kek.seal("the signing key");
  EXPECT_TRUE(KeyEncryptionKey::isSealed(sealed));
  EXPECT_EQ(sealed.find("the signing key"), std::string::npos);
  EXPECT_NE(kek.seal("the signing key"), sealed) << "a fresh nonce each time";
  EXPECT_EQ(kek.open(sealed), "the signing key");
  EXPECT_FALSE(other.open(sealed).has_value());
  auto tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(kek.open(tampered).has_value());
  EXPECT_FALSE(kek.open("not sealed").has_value());
  EXPECT_THROW((void)loadKeyEncryptionKey("not a key", std::nullopt), std::runtime_error);
  EXPECT_THROW((void)loadKeyEncryptionKey(std::nullopt, "/nonexistent/kek"), std::runtime_error);
  EXPECT_FALSE(loadKeyEncryptionKey(std::nullopt, std::nullopt).has_value());
}

}  // namespace
}  // namespace emporium::users
