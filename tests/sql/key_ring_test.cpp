// KeyRing over a real signing_keys table, on both backends: rotation,
// retirement, several processes sharing one database.

#include <rapidjson/document.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "core/sql/migrations.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/storage/user_store.hpp"
#include "sql_test_support.hpp"

namespace emporium::users {
namespace {

using sql::test::Backend;
using sql::test::backendName;
using sql::test::SqlTest;

constexpr std::int64_t kKeyRingStart = 1'800'000'000;
constexpr std::int64_t kTtl = 900;
constexpr std::int64_t kReload = 30;

std::string decodeSegment(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    ADD_FAILURE() << "not base64url: " << text;
  }
  out.resize(length);
  return out;
}

// The kid in a token's header.
std::string kidOf(const std::string& token) {
  rapidjson::Document header;
  header.Parse(decodeSegment(token.substr(0, token.find('.'))));
  if (!header.IsObject() || !header.HasMember("kid") || !header["kid"].IsString()) {
    ADD_FAILURE() << "no kid in " << token;
    return {};
  }
  return header["kid"].GetString();
}

struct JwksKey {
  std::string kid;
  std::string x;
};

// The keys of a JWKS document, checking each one's fixed members.
std::vector<JwksKey> jwksKeys(const std::string& jwks) {
  rapidjson::Document doc;
  doc.Parse(jwks);
  std::vector<JwksKey> out;
  if (!doc.IsObject() || !doc.HasMember("keys") || !doc["keys"].IsArray()) {
    ADD_FAILURE() << "not a JWKS: " << jwks;
    return out;
  }
  for (const auto& key : doc["keys"].GetArray()) {
    EXPECT_STREQ(key["kty"].GetString(), "OKP");
    EXPECT_STREQ(key["crv"].GetString(), "Ed25519");
    EXPECT_STREQ(key["alg"].GetString(), "EdDSA");
    EXPECT_STREQ(key["use"].GetString(), "sig");
    EXPECT_EQ(key.MemberCount(), 6U);
    EXPECT_EQ(decodeSegment(key["x"].GetString()).size(), 32U);
    out.push_back({key["kid"].GetString(), key["x"].GetString()});
  }
  return out;
}

std::set<std::string> jwksKids(const KeyRing& ring) {
  std::set<std::string> kids;
  for (const auto& key : jwksKeys(ring.jwks())) kids.insert(key.kid);
  return kids;
}

class KeyRingTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
    store_ = std::make_unique<KeyStore>(*db_);
  }

  KeyRing::Clock clock() {
    return [this] { return now_.load(); };
  }

  std::unique_ptr<KeyRing> makeRing(KeyStore& store) {
    return std::make_unique<KeyRing>(
        store, clock(), KeyRingOptions{std::chrono::seconds{kTtl}, std::chrono::seconds{kReload}});
  }

  std::optional<StoredKey> stored(const std::string& kid) {
    for (auto& key : store_->all()) {
      if (key.key.kid == kid) return key;
    }
    return std::nullopt;
  }

  std::atomic<std::int64_t> now_{kKeyRingStart};
  std::unique_ptr<KeyStore> store_;
};

TEST_P(KeyRingTest, IssuesAndVerifies) {
  auto ring = makeRing(*store_);
  const IssuedToken issued = ring->issue("usr_1", "admin");
  EXPECT_EQ(issued.expires_in, kTtl);
  EXPECT_EQ(kidOf(issued.token), ring->activeKid());

  const auto principal = ring->verify(issued.token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->user_id, "usr_1");
  EXPECT_EQ(principal->role, "admin");
  EXPECT_TRUE(principal->isAdmin());
  EXPECT_GE(principal->token_id.size(), 16U);
  EXPECT_NE(ring->verify(ring->issue("usr_1", "admin").token)->token_id, principal->token_id);

  EXPECT_FALSE(ring->verify("").has_value());
  EXPECT_FALSE(ring->verify("not.a.token").has_value());
  EXPECT_FALSE(ring->verify(ring->issue("usr_1", "root").token).has_value());  // no such role

  now_ += kTtl - 1;
  EXPECT_TRUE(ring->verify(issued.token).has_value());
  now_ += 1;
  EXPECT_FALSE(ring->verify(issued.token).has_value());  // expired

  // The key was stored, once, with its secret half.
  const auto all = store_->all();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].key.kid, ring->activeKid());
  EXPECT_EQ(all[0].created_at, kKeyRingStart);
  EXPECT_FALSE(all[0].retired_at.has_value());
  EXPECT_TRUE(all[0].key.secret_key.has_value());
}

TEST_P(KeyRingTest, RestartKeepsTheKey) {
  std::string kid;
  std::string token;
  {
    auto ring = makeRing(*store_);
    kid = ring->activeKid();
    token = ring->issue("usr_1", "customer").token;
  }
  auto again = makeRing(*store_);
  EXPECT_EQ(again->activeKid(), kid);
  EXPECT_TRUE(again->verify(token).has_value());
  EXPECT_EQ(store_->all().size(), 1U);
}

TEST_P(KeyRingTest, RotationKeepsOldTokensValid) {
  auto ring = makeRing(*store_);
  const std::string old_kid = ring->activeKid();
  const std::string old_token = ring->issue("usr_1", "customer").token;

  now_ += 100;
  ring->rotate();
  const std::string new_kid = ring->activeKid();
  EXPECT_NE(new_kid, old_kid);
  const std::string new_token = ring->issue("usr_2", "customer").token;
  EXPECT_EQ(kidOf(new_token), new_kid);
  EXPECT_EQ(ring->verify(old_token)->user_id, "usr_1");
  EXPECT_EQ(ring->verify(new_token)->user_id, "usr_2");

  const auto old_row = stored(old_kid);
  ASSERT_TRUE(old_row.has_value());
  EXPECT_EQ(old_row->retired_at, kKeyRingStart + 100);
  EXPECT_FALSE(stored(new_kid)->retired_at.has_value());
  EXPECT_EQ(jwksKids(*ring), (std::set<std::string>{old_kid, new_kid}));

  // Rotating twice in the same second still leaves the newest key signing.
  ring->rotate();
  EXPECT_NE(ring->activeKid(), new_kid);
  EXPECT_TRUE(stored(new_kid)->retired_at.has_value());
  EXPECT_EQ(kidOf(ring->issue("usr_3", "customer").token), ring->activeKid());
  EXPECT_TRUE(ring->verify(new_token).has_value());
  EXPECT_TRUE(ring->verify(old_token).has_value());
}

TEST_P(KeyRingTest, RetiredKeyExpiresAndIsPruned) {
  auto ring = makeRing(*store_);
  const std::string old_kid = ring->activeKid();
  const std::string old_token = ring->issue("usr_1", "customer").token;  // exp kKeyRingStart + 900

  now_ = kKeyRingStart + 20;
  ring->rotate();  // old key retired at kKeyRingStart + 20
  const std::string new_kid = ring->activeKid();
  // A token the old key signed as late as it could be signed after its
  // retirement, by a process that had not reloaded yet: it must live out
  // its access_ttl.
  const std::int64_t late = kKeyRingStart + 20 + kReload - 1;
  const std::string late_token = signJwt(
      AccessClaims{"usr_late", "customer", "jti-late", late, late + kTtl}, stored(old_kid)->key);

  now_ = kKeyRingStart + 899;
  EXPECT_TRUE(ring->verify(old_token).has_value());
  now_ = kKeyRingStart + 900;
  EXPECT_FALSE(ring->verify(old_token).has_value());  // its own exp
  EXPECT_TRUE(ring->verify(late_token).has_value());

  // Accepted until retired_at + access_ttl + reload_interval.
  now_ = late + kTtl - 1;
  EXPECT_TRUE(ring->verify(late_token).has_value());
  EXPECT_EQ(jwksKids(*ring), (std::set<std::string>{old_kid, new_kid}));
  EXPECT_TRUE(stored(old_kid).has_value());

  now_ = kKeyRingStart + 20 + kTtl + kReload;
  // Refused from this second on, even a token that has not expired yet.
  const std::string forged_late =
      signJwt(AccessClaims{"usr_late", "customer", "jti-2", now_.load(), now_.load() + 60},
              stored(old_kid)->key);
  EXPECT_FALSE(ring->verify(forged_late).has_value());
  EXPECT_EQ(jwksKids(*ring), (std::set<std::string>{new_kid}));
  // ...and deleted from the store by the next reload at the latest.
  now_ += kReload;
  EXPECT_TRUE(ring->verify(ring->issue("usr_1", "customer").token).has_value());
  EXPECT_FALSE(stored(old_kid).has_value());
  EXPECT_TRUE(stored(new_kid).has_value());
  EXPECT_EQ(ring->reloadFailures(), 0U);
}

TEST_P(KeyRingTest, AnotherProcessVerifiesAndFollowsRotations) {
  auto first = makeRing(*store_);
  auto other_db = open();  // another process: its own connections
  KeyStore other_store(*other_db);
  auto second = makeRing(other_store);
  EXPECT_EQ(second->activeKid(), first->activeKid());

  const std::string token = first->issue("usr_1", "customer").token;
  EXPECT_EQ(second->verify(token)->user_id, "usr_1");
  EXPECT_EQ(first->verify(second->issue("usr_2", "admin").token)->role, "admin");

  // The first rotates; the second has not reloaded, but an unknown kid makes it.
  first->rotate();
  const std::string rotated = first->issue("usr_3", "customer").token;
  EXPECT_EQ(second->verify(rotated)->user_id, "usr_3");
  EXPECT_EQ(second->activeKid(), first->activeKid());
  EXPECT_TRUE(second->verify(token).has_value());
  EXPECT_EQ(kidOf(second->issue("usr_4", "customer").token), first->activeKid());

  // At most one such reload a second: a second rotation within the same
  // second is only seen a second later...
  first->rotate();
  const std::string rotated_again = first->issue("usr_5", "customer").token;
  EXPECT_FALSE(second->verify(rotated_again).has_value());
  now_ += 1;
  EXPECT_EQ(second->verify(rotated_again)->user_id, "usr_5");

  // ...or at the periodic reload, which also switches the signing key.
  first->rotate();
  EXPECT_NE(second->activeKid(), first->activeKid());
  now_ += kReload;
  EXPECT_EQ(kidOf(second->issue("usr_6", "customer").token), first->activeKid());
  EXPECT_EQ(jwksKids(*second), jwksKids(*first));
}

TEST_P(KeyRingTest, ProcessesStartingTogetherAgree) {
  auto other_db = open();
  KeyStore other_store(*other_db);
  std::unique_ptr<KeyRing> first;
  std::unique_ptr<KeyRing> second;
  {
    std::jthread a([&] { first = makeRing(*store_); });
    std::jthread b([&] { second = makeRing(other_store); });
  }
  ASSERT_TRUE(first && second);
  // Each signs with the newest unretired key it saw; once both have
  // reloaded they sign with the same one.
  now_ += kReload;
  EXPECT_TRUE(first->verify(second->issue("usr_1", "customer").token).has_value());
  EXPECT_TRUE(second->verify(first->issue("usr_2", "customer").token).has_value());
  EXPECT_EQ(first->activeKid(), second->activeKid());
  const auto all = store_->all();
  EXPECT_FALSE(all.empty());
  EXPECT_LE(all.size(), 2U);
  EXPECT_FALSE(all.back().retired_at.has_value());
  EXPECT_EQ(all.back().key.kid, first->activeKid());
}

TEST_P(KeyRingTest, JwksListsExactlyTheAcceptedPublicKeys) {
  auto ring = makeRing(*store_);
  const std::string token = ring->issue("usr_1", "customer").token;
  const auto keys = jwksKeys(ring->jwks());
  ASSERT_EQ(keys.size(), 1U);
  EXPECT_EQ(keys[0].kid, ring->activeKid());
  EXPECT_EQ(ring->jwks().find("secret"), std::string::npos);
  EXPECT_EQ(ring->jwks().find("\"d\""), std::string::npos);  // JWK's private member

  // A verifier holding only the published key accepts the token.
  Ed25519Key published{keys[0].kid, {}, std::nullopt};
  const std::string x = decodeSegment(keys[0].x);
  std::copy(x.begin(), x.end(), published.public_key.begin());
  const auto claims = verifyJwt(
      token, [&](std::string_view kid) { return kid == published.kid ? &published : nullptr; },
      now_.load());
  ASSERT_TRUE(std::holds_alternative<AccessClaims>(claims));
  EXPECT_EQ(std::get<AccessClaims>(claims).subject, "usr_1");

  const std::string first_kid = ring->activeKid();
  ring->rotate();
  EXPECT_EQ(jwksKids(*ring), (std::set<std::string>{first_kid, ring->activeKid()}));
  now_ += kTtl + kReload;
  EXPECT_EQ(jwksKids(*ring), (std::set<std::string>{ring->activeKid()}));
}

TEST_P(KeyRingTest, StoreFailureKeepsTheLoadedKeys) {
  auto ring = makeRing(*store_);
  const std::string token = ring->issue("usr_1", "customer").token;
  db_->write([](sql::Session& s) { s.executeScript("DROP TABLE signing_keys"); });

  now_ += kReload;
  std::optional<http::Principal> principal;
  EXPECT_NO_THROW(principal = ring->verify(token));
  EXPECT_TRUE(principal.has_value());
  EXPECT_EQ(ring->reloadFailures(), 1U);
  // Not retried on every call: the next attempt waits a full interval.
  EXPECT_TRUE(ring->verify(token).has_value());
  EXPECT_EQ(ring->reloadFailures(), 1U);
  // An unknown kid may try once per second, and fails quietly too.
  auto stranger = generateEd25519Key("key_unknown");
  EXPECT_FALSE(
      ring->verify(
              signJwt(AccessClaims{"u", "customer", "t", now_.load(), now_.load() + 60}, stranger))
          .has_value());
  EXPECT_EQ(ring->reloadFailures(), 2U);
  EXPECT_TRUE(ring->verify(ring->issue("usr_2", "customer").token).has_value());
  EXPECT_THROW(ring->rotate(), sql::Error);
  EXPECT_TRUE(ring->verify(token).has_value());
}

TEST_P(KeyRingTest, VerifiesFromManyThreadsWhileRotating) {
  auto ring = makeRing(*store_);
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i)
    tokens.push_back(ring->issue("usr_" + std::to_string(i), "customer").token);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> checks{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        while (!stop.load()) {
          const auto& token = tokens[static_cast<std::size_t>(t + checks.load()) % tokens.size()];
          if (!ring->verify(token)) failures.fetch_add(1);
          if (ring->verify("x.y.z")) failures.fetch_add(1);
          checks.fetch_add(1);
        }
      });
    }
    for (int i = 0; i < 5; ++i) {
      ring->rotate();
      now_ += 1;
    }
    while (checks.load() < 200) std::this_thread::yield();
    stop = true;
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ring->reloadFailures(), 0U);
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyRingTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::users
