#include "services/users/jwks_verifier.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <variant>

#include "core/net/peer_error.hpp"
#include "services/users/domain/user.hpp"

namespace emporium::users {
namespace {

constexpr const char* kService = "users";
constexpr std::string_view kJwksPath = "/.well-known/jwks.json";

std::string memberText(const rapidjson::Value& key, const char* name) {
  const auto found = key.FindMember(name);
  if (found == key.MemberEnd() || !found->value.IsString()) return {};
  return {found->value.GetString(), found->value.GetStringLength()};
}

}  // namespace

JwksVerifier::JwksVerifier(net::HttpClient& http, std::vector<std::string> urls,
                           JwksOptions options, WallClock now, SteadyClock steady)
    : http_(http),
      urls_(std::move(urls)),
      options_(options),
      now_(std::move(now)),
      steady_(std::move(steady)),
      keys_(std::make_shared<const Keys>()) {
  if (urls_.empty()) throw std::invalid_argument("users: the JWKS verifier needs a URL");
  if (!now_) {
    now_ = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!steady_) steady_ = [] { return std::chrono::steady_clock::now(); };
}

std::vector<Ed25519Key> JwksVerifier::parseJwks(std::string_view document) {
  rapidjson::Document doc;
  doc.Parse(document.data(), document.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("keys") || !doc["keys"].IsArray()) {
    throw std::invalid_argument("not a JWKS document (no keys array)");
  }
  std::vector<Ed25519Key> keys;
  for (const auto& key : doc["keys"].GetArray()) {
    if (!key.IsObject()) continue;
    if (memberText(key, "kty") != "OKP" || memberText(key, "crv") != "Ed25519") continue;
    Ed25519Key parsed;
    parsed.kid = memberText(key, "kid");
    const auto x = base64UrlDecode(memberText(key, "x"));
    if (parsed.kid.empty() || !x || x->size() != parsed.public_key.size()) continue;
    std::memcpy(parsed.public_key.data(), x->data(), x->size());
    keys.push_back(std::move(parsed));
  }
  return keys;
}

std::shared_ptr<const JwksVerifier::Keys> JwksVerifier::snapshot() const {
  const std::shared_lock lock(keys_mutex_);
  return keys_;
}

JwksVerifier::Keys JwksVerifier::fetch() const {
  std::string failures;
  for (const auto& base : urls_) {
    net::HttpCall call;
    call.url = base + std::string(kJwksPath);
    call.idempotent = true;
    call.deadline = net::HttpCall::Clock::now() + options_.fetch_timeout;
    const auto reply = http_.call(call);
    if (reply.answered() && reply.status == 200) {
      try {
        return parseJwks(reply.body);
      } catch (const std::invalid_argument& error) {
        failures += base + ": " + error.what() + "; ";
        continue;
      }
    }
    failures += base + ": " +
                (reply.answered() ? "answered " + std::to_string(reply.status)
                                  : std::string(net::outcomeName(reply.outcome))) +
                "; ";
  }
  throw net::PeerError(kService, "no JWKS: " + failures);
}

bool JwksVerifier::refresh(bool force) const {
  const std::lock_guard lock(fetch_mutex_);
  const auto now = steady_();
  const bool stale = !fetched_at_ || now - *fetched_at_ >= options_.refresh_every;
  const bool may_force = !tried_at_ || now - *tried_at_ >= options_.min_refetch_gap;
  if (!stale && !(force && may_force)) return true;
  // Asked a moment ago (and failed, or for another unknown kid): keep what
  // we have rather than ask on every request.
  if (!may_force) return fetched_at_.has_value();
  tried_at_ = now;
  try {
    auto fetched = std::make_shared<const Keys>(fetch());
    const std::unique_lock write(keys_mutex_);
    keys_ = std::move(fetched);
    fetched_at_ = now;
    fresh_until_.store((now + options_.refresh_every).time_since_epoch().count(),
                       std::memory_order_release);
    return true;
  } catch (const net::PeerError&) {
    return false;
  }
}

std::optional<http::Principal> JwksVerifier::verify(std::string_view token) const {
  // Keys fetched less than refresh_every ago: no lock on the request path.
  const bool fresh =
      steady_().time_since_epoch().count() < fresh_until_.load(std::memory_order_acquire);
  if (!fresh && !refresh(false) && snapshot()->empty()) {
    throw net::PeerError(kService, "the token keys (JWKS) could not be fetched");
  }
  const auto check = [this](std::string_view text) {
    const auto keys = snapshot();
    return verifyJwt(
        text,
        [&keys](std::string_view kid) -> const Ed25519Key* {
          const auto it = std::find_if(keys->begin(), keys->end(),
                                       [&](const Ed25519Key& key) { return key.kid == kid; });
          return it == keys->end() ? nullptr : &*it;
        },
        now_(), options_.bounds);
  };
  auto result = check(token);
  if (const auto* error = std::get_if<JwtError>(&result);
      error && *error == JwtError::kUnknownKey) {
    // Perhaps the users service rotated its key: ask again (rate-limited).
    if (!refresh(true)) {
      throw net::PeerError(kService, "a token names a key the JWKS could not be asked about");
    }
    result = check(token);
  }
  const auto* claims = std::get_if<AccessClaims>(&result);
  if (claims == nullptr || !parseRole(claims->role)) return std::nullopt;
  return http::Principal{claims->subject, claims->role, claims->token_id};
}

}  // namespace emporium::users
