// Access tokens checked outside the users service (issue 15, part 2): a
// JwksVerifier fetching the public keys of a real KeyRing (over a real
// signing_keys table) from GET /.well-known/jwks.json on a loopback server,
// on both backends: it accepts what the ring signs, follows a rotation on
// the first token of the new key, refuses forgeries and expired tokens, and
// answers 503 (PeerError), not 401, when it cannot have the keys.

#include "services/users/jwks_verifier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/net/http_client.hpp"
#include "core/net/peer_error.hpp"
#include "core/sql/migrations.hpp"
#include "internal_server.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/storage/user_store.hpp"
#include "sql_test_support.hpp"

namespace emporium::users {
namespace {

using namespace std::chrono_literals;
using sql::test::SqlTest;

constexpr std::int64_t kStart = 1'800'000'000;

class JwksVerifierTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
    store_ = std::make_unique<KeyStore>(*db_);
    ring_ = std::make_unique<KeyRing>(*store_, [this] { return now_.load(); });
    server_ = std::make_unique<sql::test::InternalServer>([this](http::Router& router) {
      router.add(http::Method::kGet, "/.well-known/jwks.json", [this](http::Request&) {
        ++fetches_;
        return http::Response::json(200, ring_->jwks());
      });
    });
  }

  std::unique_ptr<JwksVerifier> verifier(std::vector<std::string> urls) {
    JwksOptions options;
    options.min_refetch_gap = 0ms;  // every unknown kid may ask (the gap has its own case)
    return std::make_unique<JwksVerifier>(
        http_, std::move(urls), options, [this] { return now_.load(); },
        [this] { return steady_; });
  }

  std::atomic<std::int64_t> now_{kStart};
  std::chrono::steady_clock::time_point steady_ = std::chrono::steady_clock::now();
  std::atomic<int> fetches_{0};
  std::unique_ptr<KeyStore> store_;
  std::unique_ptr<KeyRing> ring_;
  std::unique_ptr<sql::test::InternalServer> server_;
  net::HttpClient http_;
};

TEST_P(JwksVerifierTest, AcceptsWhatTheRingSignsAndFollowsARotation) {
  const auto jwks = verifier({server_->url()});
  const auto token = ring_->issue("usr_ada", "admin").token;
  const auto principal = jwks->verify(token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->user_id, "usr_ada");
  EXPECT_TRUE(principal->isAdmin());
  EXPECT_EQ(fetches_.load(), 1);
  EXPECT_TRUE(jwks->verify(ring_->issue("usr_bob", "customer").token).has_value());
  EXPECT_EQ(fetches_.load(), 1) << "known keys are not fetched again";

  // A rotation: the first token of the new key makes it ask again, and the
  // old key's tokens stay valid.
  ring_->rotate();
  const auto rotated = ring_->issue("usr_cy", "customer").token;
  EXPECT_TRUE(jwks->verify(rotated).has_value());
  EXPECT_EQ(fetches_.load(), 2);
  EXPECT_TRUE(jwks->verify(token).has_value());

  // Forged (another key with a known kid) and tampered tokens: refused.
  auto forged_key = generateEd25519Key(ring_->activeKid());
  AccessClaims claims{"usr_eve", "admin", "jti-1", now_.load(), now_.load() + 600};
  EXPECT_FALSE(jwks->verify(signJwt(claims, forged_key)).has_value());
  std::string tampered = rotated;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(jwks->verify(tampered).has_value());
  EXPECT_FALSE(jwks->verify("not.a.token").has_value());

  // Expired.
  now_ += 901;
  EXPECT_FALSE(jwks->verify(rotated).has_value());
}

TEST_P(JwksVerifierTest, WithoutTheKeysItIs503NotASignOut) {
  // Nothing answers: no keys at all is a PeerError (503), never a 401.
  const std::string url = server_->url();
  server_->stop();
  const auto jwks = verifier({url});
  const auto token = ring_->issue("usr_ada", "customer").token;
  EXPECT_THROW(jwks->verify(token), net::PeerError);

  // Another instance answers: the instances are asked in turn.
  sql::test::InternalServer live([this](http::Router& router) {
    router.add(http::Method::kGet, "/.well-known/jwks.json",
               [this](http::Request&) { return http::Response::json(200, ring_->jwks()); });
  });
  const auto two = verifier({url, live.url()});
  EXPECT_TRUE(two->verify(token).has_value());
}

TEST_P(JwksVerifierTest, UnknownKidsAskAtMostOncePerGap) {
  JwksOptions options;  // the default gap: 1 s
  JwksVerifier jwks(
      http_, {server_->url()}, options, [this] { return now_.load(); }, [this] { return steady_; });
  ASSERT_TRUE(jwks.verify(ring_->issue("usr_ada", "customer").token).has_value());
  EXPECT_EQ(fetches_.load(), 1);
  AccessClaims claims{"usr_eve", "admin", "jti-2", now_.load(), now_.load() + 600};
  for (int i = 0; i < 20; ++i) {
    auto made_up = generateEd25519Key("kid-made-up-" + std::to_string(i));
    EXPECT_FALSE(jwks.verify(signJwt(claims, made_up)).has_value());
  }
  EXPECT_EQ(fetches_.load(), 1) << "twenty made-up kids within a second of a fetch: none";
  steady_ += 1500ms;
  for (int i = 0; i < 20; ++i) {
    auto later = generateEd25519Key("kid-made-up-later-" + std::to_string(i));
    EXPECT_FALSE(jwks.verify(signJwt(claims, later)).has_value());
  }
  EXPECT_EQ(fetches_.load(), 2) << "twenty more a gap later: one fetch";
}

TEST(JwksDocument, OnlyEd25519KeysAreRead) {
  const auto keys = JwksVerifier::parseJwks(
      R"({"keys":[{"kty":"RSA","kid":"r","n":"x","e":"AQAB"},)"
      R"({"kty":"OKP","crv":"Ed25519","kid":"k1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},)"
      R"({"kty":"OKP","crv":"Ed25519","kid":"short","x":"AAAA"}]})");
  ASSERT_EQ(keys.size(), 1U);
  EXPECT_EQ(keys[0].kid, "k1");
  EXPECT_FALSE(keys[0].secret_key.has_value());
  EXPECT_THROW(JwksVerifier::parseJwks(R"({"nokeys":[]})"), std::invalid_argument);
  EXPECT_THROW(JwksVerifier::parseJwks("not json"), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Backends, JwksVerifierTest,
                         ::testing::Values(sql::test::Backend::kSqlite,
                                           sql::test::Backend::kPostgres),
                         sql::test::backendName);

}  // namespace
}  // namespace emporium::users
