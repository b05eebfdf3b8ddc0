#pragma once
// Access tokens: compact JWS (RFC 7515) signed with EdDSA over Ed25519
// (RFC 8037). Only what the users service issues is accepted: one header
// shape, one algorithm, one issuer. Pure functions; keys and time are passed in.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace emporium::users {

/// The claims of an access token (iss is always "emporium").
struct AccessClaims {
  std::string subject;          // sub: the user id
  std::string role;             // role: "customer" or "admin"
  std::string token_id;         // jti: random, unique per token
  std::int64_t issued_at = 0;   // iat, seconds since the epoch
  std::int64_t expires_at = 0;  // exp, seconds since the epoch
};

/// An Ed25519 key pair named by kid. Verification needs only the public key.
struct Ed25519Key {
  std::string kid;
  std::array<unsigned char, 32> public_key{};
  std::optional<std::array<unsigned char, 64>> secret_key;  // libsodium's seed || public key
};

enum class JwtError {
  kMalformed,             // not three base64url segments, header not the expected JSON object
  kUnsupportedAlgorithm,  // alg is anything but "EdDSA"
  kUnknownKey,            // no key with the header's kid
  kBadSignature,          // the signature does not match the key
  kExpired,               // exp <= now
  kBadClaims,             // signed, but a claim is missing, mistyped or wrong (iss)
  kBadTimes,              // signed, but issued in the future or living too long (JwtTimeBounds)
};

std::string_view jwtErrorName(JwtError error);

/// The issuer every token names, and the only one accepted.
inline constexpr std::string_view kJwtIssuer = "emporium";
/// Longer inputs are rejected unread.
inline constexpr std::size_t kMaxJwtBytes = 4096;

/// A fresh random key pair.
Ed25519Key generateEd25519Key(std::string kid);

/// Base64url without padding, as JWS and JWKS use it.
std::string base64UrlEncode(std::span<const unsigned char> bytes);
/// Its inverse; nullopt for text that is not base64url.
std::optional<std::string> base64UrlDecode(std::string_view text);

/// Signs claims with key; throws std::invalid_argument when the key has no
/// secret half.
std::string signJwt(const AccessClaims& claims, const Ed25519Key& key);

/// How far the claims' times may stray. A token issued (iat) more than
/// max_clock_skew seconds ahead of `now`, or meant to live (exp - iat) longer
/// than max_lifetime, was not minted by this service as configured: refused.
struct JwtTimeBounds {
  std::int64_t max_clock_skew = 60;
  std::int64_t max_lifetime = 900 + 60;  // the default access TTL plus the skew
};

/// Looks a kid up; nullptr when unknown. The key must stay valid until
/// verifyJwt returns.
using JwtKeyLookup = std::function<const Ed25519Key*(std::string_view kid)>;

/// The claims of a token this service signed, once its signature is checked
/// against keys(kid) and it is unexpired at `now` (seconds since the epoch)
/// and within `bounds`; otherwise why not. Total: any input gives a value,
/// never an exception (unless keys throws).
std::variant<AccessClaims, JwtError> verifyJwt(std::string_view token, const JwtKeyLookup& keys,
                                               std::int64_t now, const JwtTimeBounds& bounds = {});

}  // namespace emporium::users
