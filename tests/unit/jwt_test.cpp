// The access-token format: EdDSA compact JWS, verified strictly.

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "services/users/domain/jwt.hpp"

namespace emporium::users {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

std::string b64(std::string_view text) {
  return base64UrlEncode(
      std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

std::string unb64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                              text.size(), nullptr, &length, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  out.resize(length);
  return out;
}

std::vector<std::string> segments(const std::string& token) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t dot = token.find('.'); dot != std::string::npos; dot = token.find('.', start)) {
    out.push_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back(token.substr(start));
  return out;
}

// A token with exactly this header and payload, correctly signed by key.
std::string signRaw(std::string_view header, std::string_view payload, const Ed25519Key& key) {
  const std::string input = b64(header) + "." + b64(payload);
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                       key.secret_key->data());
  return input + "." + base64UrlEncode(signature);
}

std::string headerFor(const Ed25519Key& key) {
  return R"({"alg":"EdDSA","typ":"JWT","kid":")" + key.kid + R"("})";
}

std::string claimsJson(std::int64_t exp = kNow + 900) {
  return R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t1","iat":)" +
         std::to_string(kNow) + R"(,"exp":)" + std::to_string(exp) + "}";
}

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() : key_(generateEd25519Key("k1")), other_(generateEd25519Key("k2")) {}

  std::variant<AccessClaims, JwtError> verify(std::string_view token,
                                              std::int64_t now = kNow) const {
    return verifyJwt(
        token,
        [this](std::string_view kid) -> const Ed25519Key* {
          if (kid == key_.kid) return &key_;
          if (kid == other_.kid) return &other_;
          return nullptr;
        },
        now);
  }

  void expectError(std::string_view token, JwtError expected) const {
    const auto result = verify(token);
    ASSERT_TRUE(std::holds_alternative<JwtError>(result)) << "accepted: " << token;
    EXPECT_EQ(jwtErrorName(std::get<JwtError>(result)), jwtErrorName(expected)) << token;
  }

  std::string issue(std::int64_t exp = kNow + 900) const {
    return signJwt(AccessClaims{"usr_1", "customer", "t1", kNow, exp}, key_);
  }

  Ed25519Key key_;
  Ed25519Key other_;
};

TEST_F(JwtTest, RoundTrip) {
  const std::string token =
      signJwt(AccessClaims{"usr_42", "admin", "jti-9", kNow, kNow + 900}, key_);
  const auto parts = segments(token);
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(unb64(parts[0]), R"({"alg":"EdDSA","typ":"JWT","kid":"k1"})");
  EXPECT_EQ(unb64(parts[1]),
            R"({"iss":"emporium","sub":"usr_42","role":"admin","jti":"jti-9","iat":)" +
                std::to_string(kNow) + R"(,"exp":)" + std::to_string(kNow + 900) + "}");
  EXPECT_EQ(token.find('='), std::string::npos);

  const auto result = verify(token);
  ASSERT_TRUE(std::holds_alternative<AccessClaims>(result))
      << jwtErrorName(std::get<JwtError>(result));
  const auto& claims = std::get<AccessClaims>(result);
  EXPECT_EQ(claims.subject, "usr_42");
  EXPECT_EQ(claims.role, "admin");
  EXPECT_EQ(claims.token_id, "jti-9");
  EXPECT_EQ(claims.issued_at, kNow);
  EXPECT_EQ(claims.expires_at, kNow + 900);
}

TEST_F(JwtTest, SigningNeedsTheSecretHalf) {
  Ed25519Key public_only = key_;
  public_only.secret_key.reset();
  EXPECT_THROW(signJwt(AccessClaims{"u", "customer", "t", kNow, kNow + 1}, public_only),
               std::invalid_argument);
}

TEST_F(JwtTest, TamperingBreaksTheSignature) {
  const auto parts = segments(issue());
  // Payload: promoted to admin.
  std::string payload = unb64(parts[1]);
  payload.replace(payload.find("customer"), 8, "admin");
  expectError(parts[0] + "." + b64(payload) + "." + parts[2], JwtError::kBadSignature);
  // Header: same meaning, different bytes.
  expectError(b64(R"({"alg":"EdDSA","typ":"JWT","kid":"k1" })") + "." + parts[1] + "." + parts[2],
              JwtError::kBadSignature);
  // Signature: each of a few bits flipped.
  const std::string signature = unb64(parts[2]);
  for (const std::size_t byte : {0U, 17U, 31U, 32U, 63U}) {
    std::string flipped = signature;
    flipped[byte] = static_cast<char>(flipped[byte] ^ 0x01);
    expectError(parts[0] + "." + parts[1] + "." + b64(flipped), JwtError::kBadSignature);
  }
  // Signed by another key that claims the same kid.
  Ed25519Key impostor = generateEd25519Key("k1");
  expectError(signJwt(AccessClaims{"usr_1", "admin", "t", kNow, kNow + 900}, impostor),
              JwtError::kBadSignature);
  // Signed by another known key, relabelled with this key's kid.
  const auto others =
      segments(signJwt(AccessClaims{"usr_1", "admin", "t", kNow, kNow + 9}, other_));
  expectError(parts[0] + "." + others[1] + "." + others[2], JwtError::kBadSignature);
}

TEST_F(JwtTest, OnlyEdDsaIsAccepted) {
  const std::string payload = b64(claimsJson());
  // alg none, with and without a signature segment.
  expectError(b64(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".",
              JwtError::kUnsupportedAlgorithm);
  expectError(b64(R"({"alg":"none","typ":"JWT","kid":"k1"})") + "." + payload + ".",
              JwtError::kUnsupportedAlgorithm);
  expectError(b64(R"({"alg":"none"})") + "." + payload, JwtError::kMalformed);

  // The classic confusion: HS256 with the public key as the HMAC secret.
  for (const std::string& secret : {std::string(key_.public_key.begin(), key_.public_key.end()),
                                    base64UrlEncode(key_.public_key)}) {
    const std::string input = b64(R"({"alg":"HS256","typ":"JWT","kid":"k1"})") + "." + payload;
    std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                                secret.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size());
    crypto_auth_hmacsha256_final(&state, mac.data());
    expectError(input + "." + base64UrlEncode(mac), JwtError::kUnsupportedAlgorithm);
  }

  // Other algorithms, spellings and types, each with a valid EdDSA signature.
  for (const std::string alg : {R"("HS256")", R"("ES256")", R"("RS256")", R"("eddsa")",
                                R"("EDDSA")", R"("EdDSA ")", R"("Ed25519")", R"("")", R"(null)",
                                R"(1)", R"(["EdDSA"])", R"({"EdDSA":1})", R"("EdDSA\u0000")"}) {
    expectError(signRaw(R"({"alg":)" + alg + R"(,"typ":"JWT","kid":"k1"})", claimsJson(), key_),
                JwtError::kUnsupportedAlgorithm);
  }
  expectError(signRaw(R"({"typ":"JWT","kid":"k1"})", claimsJson(), key_),
              JwtError::kUnsupportedAlgorithm);
}

TEST_F(JwtTest, HeaderMustBeExactlyOurs) {
  for (const std::string header : {
           R"({"alg":"EdDSA","kid":"k1"})",                               // no typ
           R"({"alg":"EdDSA","typ":"jwt","kid":"k1"})",                   // other typ
           R"({"alg":"EdDSA","typ":"JWT"})",                              // no kid
           R"({"alg":"EdDSA","typ":"JWT","kid":""})",                     // empty kid
           R"({"alg":"EdDSA","typ":"JWT","kid":7})",                      // kid not a string
           R"({"alg":"EdDSA","typ":"JWT","kid":"k1","crit":["exp"]})",    // extra member
           R"({"alg":"EdDSA","typ":"JWT","kid":"k1","jku":"http://x"})",  // extra member
           R"({"alg":"EdDSA","alg":"none","typ":"JWT","kid":"k1"})",      // duplicate
           R"({"alg":"EdDSA","typ":"JWT","kid":"k1","kid":"k2"})",        // duplicate
           R"(["EdDSA","JWT","k1"])",                                     // not an object
           R"({"alg":"EdDSA","typ":"JWT","kid":"k1"}{})",                 // trailing value
           "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"k\xff\"}",       // not UTF-8
           "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"\xc0\xaf\"}",    // overlong UTF-8
           "",                                                            // empty
       }) {
    const auto result = verify(signRaw(header, claimsJson(), key_));
    ASSERT_TRUE(std::holds_alternative<JwtError>(result)) << header;
    EXPECT_EQ(jwtErrorName(std::get<JwtError>(result)), jwtErrorName(JwtError::kMalformed))
        << header;
  }
}

TEST_F(JwtTest, ClaimsAreChecked) {
  expectError(issue(kNow), JwtError::kExpired);  // exp == now
  expectError(signJwt(AccessClaims{"usr_1", "customer", "t1", kNow - 900, kNow - 1}, key_),
              JwtError::kExpired);
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verify(issue(kNow + 1))));
  EXPECT_TRUE(std::holds_alternative<JwtError>(verify(issue(kNow + 1), kNow + 1)));

  const std::string good_tail = R"(,"iat":1800000000,"exp":1800000900})";
  const std::vector<std::string> payloads = {
      R"({"iss":"other","sub":"usr_1","role":"customer","jti":"t")" + good_tail,
      R"({"sub":"usr_1","role":"customer","jti":"t")" + good_tail,
      R"({"iss":"emporium","role":"customer","jti":"t")" + good_tail,
      R"({"iss":"emporium","sub":"","role":"customer","jti":"t")" + good_tail,
      R"({"iss":"emporium","sub":1,"role":"customer","jti":"t")" + good_tail,
      R"({"iss":"emporium","sub":"usr_1","jti":"t")" + good_tail,
      R"({"iss":"emporium","sub":"usr_1","role":null,"jti":"t")" + good_tail,
      R"({"iss":"emporium","sub":"usr_1","role":"customer")" + good_tail,
      R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t","iat":1800000000})",
      R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t","exp":1800000900})",
      R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t","iat":1800000000,"exp":"1800000900"})",
      R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t","iat":1800000000,"exp":1800000900.5})",
      R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t","iat":1800000000,"exp":1e10})",
      R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t","iat":1800000000,"exp":99999999999999999999})",
      R"({"iss":"emporium","sub":"usr_1","role":"customer","jti":"t","iat":1800000901,"exp":1800000900})",
      R"({"iss":"emporium","iss":"emporium","sub":"usr_1","role":"customer","jti":"t")" + good_tail,
      R"(["emporium"])",
      R"(null)",
      "not json",
  };
  for (const std::string& payload : payloads) {
    const auto result = verify(signRaw(headerFor(key_), payload, key_));
    ASSERT_TRUE(std::holds_alternative<JwtError>(result)) << payload;
    EXPECT_EQ(jwtErrorName(std::get<JwtError>(result)), jwtErrorName(JwtError::kBadClaims))
        << payload;
  }
  // Unknown extra claims are ignored.
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verify(signRaw(
      headerFor(key_),
      R"({"iss":"emporium","sub":"u","role":"customer","jti":"t","nonce":[1,{}])" + good_tail,
      key_))));
}

// Before the bounds, a token issued a year ahead, or living for ten years,
// was accepted as long as its signature held (audit, issue 14).
TEST_F(JwtTest, IssuedInTheFutureOrLivingTooLongIsRefused) {
  const auto token = [this](std::int64_t iat, std::int64_t exp) {
    return signJwt(AccessClaims{"usr_1", "customer", "t1", iat, exp}, key_);
  };
  const JwtTimeBounds bounds{60, 960};
  const auto verdict = [&](const std::string& t) {
    return verifyJwt(
        t, [this](std::string_view kid) { return kid == key_.kid ? &key_ : nullptr; }, kNow,
        bounds);
  };
  const auto refused = [&](const std::string& t) {
    const auto result = verdict(t);
    return std::holds_alternative<JwtError>(result) &&
           std::get<JwtError>(result) == JwtError::kBadTimes;
  };
  // Within the skew: another instance's clock runs a little ahead.
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verdict(token(kNow + 60, kNow + 960))));
  EXPECT_TRUE(refused(token(kNow + 61, kNow + 961)));
  EXPECT_TRUE(refused(token(kNow + 365 * 86400, kNow + 365 * 86400 + 900)));
  // Lifetime: the TTL plus the skew at most.
  EXPECT_TRUE(std::holds_alternative<AccessClaims>(verdict(token(kNow - 10, kNow + 950))));
  EXPECT_TRUE(refused(token(kNow - 10, kNow + 951)));
  EXPECT_TRUE(refused(token(kNow, kNow + 10LL * 365 * 86400)));
  // Extreme values neither overflow nor pass.
  EXPECT_TRUE(refused(token(std::numeric_limits<std::int64_t>::min(), kNow + 1)));
  EXPECT_TRUE(refused(token(kNow, std::numeric_limits<std::int64_t>::max())));
  EXPECT_EQ(jwtErrorName(JwtError::kBadTimes), "bad_times");
}

TEST_F(JwtTest, UnknownKidIsReportedAsSuch) {
  Ed25519Key stranger = generateEd25519Key("k9");
  expectError(signJwt(AccessClaims{"usr_1", "customer", "t", kNow, kNow + 900}, stranger),
              JwtError::kUnknownKey);
}

TEST_F(JwtTest, MalformedShapesAreRejected) {
  const std::string token = issue();
  const auto parts = segments(token);
  expectError("", JwtError::kMalformed);
  expectError(".", JwtError::kMalformed);
  expectError("..", JwtError::kMalformed);
  expectError("...", JwtError::kMalformed);
  expectError(parts[0] + "." + parts[1], JwtError::kMalformed);                    // 2 segments
  expectError(token + "." + parts[2], JwtError::kMalformed);                       // 4 segments
  expectError(token + ".", JwtError::kMalformed);                                  // trailing dot
  expectError(parts[0] + "." + parts[1] + ".", JwtError::kMalformed);              // no signature
  expectError(parts[0] + "=." + parts[1] + "." + parts[2], JwtError::kMalformed);  // padding
  expectError(parts[0] + "." + parts[1] + "." + parts[2] + "==", JwtError::kMalformed);
  expectError(" " + token, JwtError::kMalformed);
  expectError(token + "\n", JwtError::kMalformed);
  expectError("Bearer " + token, JwtError::kMalformed);
  // Standard base64 alphabet instead of base64url.
  std::string standard = token;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (standard != token) expectError(standard, JwtError::kMalformed);
  // A signature of the wrong length.
  expectError(parts[0] + "." + parts[1] + "." + parts[2].substr(0, 43), JwtError::kMalformed);
  expectError(parts[0] + "." + parts[1] + "." + parts[2] + "AAAA", JwtError::kMalformed);
  // Non-canonical base64url: the last character of a 64-byte signature
  // carries 4 unused bits, which must be zero.
  std::string loose = parts[2];
  loose.back() = static_cast<char>(loose.back() + 1);  // A/Q/g/w -> B/R/h/x
  expectError(parts[0] + "." + parts[1] + "." + loose, JwtError::kMalformed);
  // Too long, even if otherwise fine.
  const std::string padded_claims = R"({"iss":"emporium","sub":")" + std::string(4000, 'u') +
                                    R"(","role":"customer","jti":"t","iat":1,"exp":1800000900})";
  expectError(signRaw(headerFor(key_), padded_claims, key_), JwtError::kMalformed);
  expectError(std::string(1 << 20, 'a'), JwtError::kMalformed);
  // Not text at all.
  expectError(std::string("\xff\xfe.\x00\x01.\x80", 7), JwtError::kMalformed);
}

TEST_F(JwtTest, RandomInputNeverThrowsNorPasses) {
  std::mt19937 rng(20240601);  // fixed: a failure reproduces
  const std::string token = issue();
  const std::string alphabet =
      std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ") + '\0' +
      '\xff';
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  std::size_t tried = 0;
  for (int i = 0; i < 600; ++i) {
    std::string input;
    switch (i % 4) {
      case 0: {  // random bytes
        input.resize(pick(300));
        for (char& c : input) c = static_cast<char>(pick(256));
        break;
      }
      case 1: {  // random base64url-ish text with dots
        input.resize(pick(600));
        for (char& c : input) c = alphabet[pick(alphabet.size())];
        break;
      }
      case 2: {  // a real token with a few characters changed
        input = token;
        for (std::size_t n = 1 + pick(3); n > 0; --n) {
          input[pick(input.size())] = alphabet[pick(alphabet.size())];
        }
        break;
      }
      default: {  // a real token cut, or with a piece inserted
        input = token.substr(0, pick(token.size()));
        if (pick(2) == 0) input += token.substr(pick(token.size()));
        break;
      }
    }
    if (input == token) continue;
    ++tried;
    std::variant<AccessClaims, JwtError> result;
    EXPECT_NO_THROW(result = verify(input)) << input;
    EXPECT_TRUE(std::holds_alternative<JwtError>(result)) << "accepted: " << input;
  }
  EXPECT_GT(tried, 500U);
  // Random, correctly signed headers and payloads (JSON-ish noise).
  const std::string json_alphabet = "{}[]\":,0123456789.-eE truefalsn\\u\xc3\xa9\xff";
  for (int i = 0; i < 300; ++i) {
    std::string header(pick(60), ' ');
    std::string payload(pick(120), ' ');
    for (char& c : header) c = json_alphabet[pick(json_alphabet.size())];
    for (char& c : payload) c = json_alphabet[pick(json_alphabet.size())];
    std::variant<AccessClaims, JwtError> result;
    EXPECT_NO_THROW(result = verify(signRaw(header, payload, key_)));
    EXPECT_TRUE(std::holds_alternative<JwtError>(result));
    EXPECT_NO_THROW(result = verify(signRaw(headerFor(key_), payload, key_)));
    EXPECT_TRUE(std::holds_alternative<JwtError>(result));
  }
}

}  // namespace
}  // namespace emporium::users
