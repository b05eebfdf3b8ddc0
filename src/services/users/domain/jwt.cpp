#include "services/users/domain/jwt.hpp"

#include <rapidjson/document.h>
#include <sodium.h>

#include <cstring>
#include <stdexcept>
#include <utility>

#include "core/json/writer.hpp"

namespace emporium::users {
namespace {

constexpr std::string_view kAlgorithm = "EdDSA";
constexpr std::string_view kType = "JWT";
constexpr int kBase64Url = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// Our header has three members and our claims six; anything much larger is
// not ours, and the cap keeps the duplicate-name check trivially cheap.
constexpr rapidjson::SizeType kMaxMembers = 16;
constexpr unsigned kJsonFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

std::string base64UrlEncodeText(std::string_view text) {
  return users::base64UrlEncode(
      std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

std::string_view view(const rapidjson::Value& string) {
  return {string.GetString(), string.GetStringLength()};
}

// One JSON object with distinct member names (RapidJSON keeps duplicates, and
// two readers picking different ones of a pair is how parser confusion starts).
bool parseObject(std::string_view text, rapidjson::Document& doc) {
  doc.Parse<kJsonFlags>(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || doc.MemberCount() > kMaxMembers) return false;
  for (auto a = doc.MemberBegin(); a != doc.MemberEnd(); ++a) {
    for (auto b = a + 1; b != doc.MemberEnd(); ++b) {
      if (view(a->name) == view(b->name)) return false;
    }
  }
  return true;
}

std::optional<std::string_view> stringMember(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return view(it->value);
}

std::optional<std::int64_t> intMember(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

// The kid of a header exactly like the ones signJwt writes.
std::variant<std::string, JwtError> readHeader(std::string_view json) {
  rapidjson::Document doc;
  if (!parseObject(json, doc)) return JwtError::kMalformed;
  if (stringMember(doc, "alg") != kAlgorithm) return JwtError::kUnsupportedAlgorithm;
  const auto kid = stringMember(doc, "kid");
  if (stringMember(doc, "typ") != kType || !kid || kid->empty() || doc.MemberCount() != 3) {
    return JwtError::kMalformed;
  }
  return std::string(*kid);
}

std::variant<AccessClaims, JwtError> readClaims(std::string_view json, std::int64_t now,
                                                const JwtTimeBounds& bounds) {
  rapidjson::Document doc;
  if (!parseObject(json, doc)) return JwtError::kBadClaims;
  const auto issuer = stringMember(doc, "iss");
  const auto subject = stringMember(doc, "sub");
  const auto role = stringMember(doc, "role");
  const auto token_id = stringMember(doc, "jti");
  const auto issued_at = intMember(doc, "iat");
  const auto expires_at = intMember(doc, "exp");
  if (issuer != kJwtIssuer || !subject || subject->empty() || !role || role->empty() || !token_id ||
      token_id->empty() || !issued_at || !expires_at || *issued_at > *expires_at) {
    return JwtError::kBadClaims;
  }
  if (*expires_at <= now) return JwtError::kExpired;
  // Written so that nothing overflows: iat is any int64 a claim may hold,
  // while exp is past now here, and now and the bounds are sane.
  if (*issued_at > now + bounds.max_clock_skew || *issued_at < *expires_at - bounds.max_lifetime) {
    return JwtError::kBadTimes;
  }
  return AccessClaims{std::string(*subject), std::string(*role), std::string(*token_id), *issued_at,
                      *expires_at};
}

}  // namespace

std::optional<std::string> base64UrlDecode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), /*ignore=*/nullptr, &length, /*b64_end=*/nullptr,
                        kBase64Url) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::string_view jwtErrorName(JwtError error) {
  switch (error) {
    case JwtError::kMalformed:
      return "malformed";
    case JwtError::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case JwtError::kUnknownKey:
      return "unknown_key";
    case JwtError::kBadSignature:
      return "bad_signature";
    case JwtError::kExpired:
      return "expired";
    case JwtError::kBadClaims:
      return "bad_claims";
    case JwtError::kBadTimes:
      return "bad_times";
  }
  return "unknown";
}

Ed25519Key generateEd25519Key(std::string kid) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  Ed25519Key key{std::move(kid), {}, std::array<unsigned char, 64>{}};
  crypto_sign_keypair(key.public_key.data(), key.secret_key->data());
  return key;
}

std::string base64UrlEncode(std::span<const unsigned char> bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kBase64Url), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), kBase64Url);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string signJwt(const AccessClaims& claims, const Ed25519Key& key) {
  if (!key.secret_key) {
    throw std::invalid_argument("signJwt: key " + key.kid + " has no secret half");
  }
  json::Writer header;
  header.startObject().member("alg", kAlgorithm).member("typ", kType).member("kid", key.kid);
  header.endObject();
  json::Writer payload;
  payload.startObject()
      .member("iss", kJwtIssuer)
      .member("sub", claims.subject)
      .member("role", claims.role)
      .member("jti", claims.token_id)
      .member("iat", claims.issued_at)
      .member("exp", claims.expires_at)
      .endObject();
  std::string token =
      base64UrlEncodeText(header.view()) + '.' + base64UrlEncodeText(payload.view());
  std::array<unsigned char, crypto_sign_BYTES> signature{};
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       key.secret_key->data());
  token += '.';
  token += base64UrlEncode(signature);
  return token;
}

std::variant<AccessClaims, JwtError> verifyJwt(std::string_view token, const JwtKeyLookup& keys,
                                               std::int64_t now, const JwtTimeBounds& bounds) {
  if (token.empty() || token.size() > kMaxJwtBytes) return JwtError::kMalformed;
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return JwtError::kMalformed;
  }
  const std::string_view signed_part = token.substr(0, second_dot);
  const auto header_json = base64UrlDecode(token.substr(0, first_dot));
  const auto payload_json = base64UrlDecode(signed_part.substr(first_dot + 1));
  const auto signature = base64UrlDecode(token.substr(second_dot + 1));
  if (!header_json || !payload_json || !signature) return JwtError::kMalformed;

  auto header = readHeader(*header_json);
  if (const auto* error = std::get_if<JwtError>(&header)) return *error;
  if (signature->size() != crypto_sign_BYTES) return JwtError::kMalformed;

  const Ed25519Key* key = keys(std::get<std::string>(header));
  if (key == nullptr) return JwtError::kUnknownKey;
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()),
                                  reinterpret_cast<const unsigned char*>(signed_part.data()),
                                  signed_part.size(), key->public_key.data()) != 0) {
    return JwtError::kBadSignature;
  }
  // Only now, with the signature checked, are the claims read at all.
  return readClaims(*payload_json, now, bounds);
}

}  // namespace emporium::users
