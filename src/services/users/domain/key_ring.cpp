#include "services/users/domain/key_ring.hpp"

#include <sodium.h>

#include <array>
#include <exception>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <variant>

#include "core/json/writer.hpp"
#include "core/util/ids.hpp"
#include "services/users/domain/user.hpp"

namespace emporium::users {
namespace {

std::string newTokenId() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return base64UrlEncode(bytes);
}

}  // namespace

KeyRing::Clock KeyRing::systemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

KeyRing::KeyRing(KeyStore& store, Clock clock, KeyRingOptions options)
    : store_(store),
      clock_(std::move(clock)),
      options_(options),
      keys_(std::make_shared<const Keys>()),
      unknown_kid_reload_at_(std::numeric_limits<std::int64_t>::min()) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  const std::int64_t now = clock_();
  const std::lock_guard lock(reload_mutex_);
  load(now);
  if (!snapshot()->active) addSigningKey(now, std::nullopt);
}

IssuedToken KeyRing::issue(std::string_view user_id, std::string_view role) {
  const std::int64_t now = clock_();
  reloadIfDue(now);
  auto keys = snapshot();
  if (!keys->active) {
    // Every key was retired behind our back (by hand, or a failed rotation elsewhere).
    {
      const std::lock_guard lock(reload_mutex_);
      if (!snapshot()->active) addSigningKey(now, std::nullopt);
    }
    keys = snapshot();
    if (!keys->active) throw std::runtime_error("KeyRing: no signing key after creating one");
  }
  const std::int64_t ttl = options_.access_ttl.count();
  const AccessClaims claims{std::string(user_id), std::string(role), newTokenId(), now, now + ttl};
  return IssuedToken{signJwt(claims, keys->accepted[*keys->active].key), ttl};
}

JwtTimeBounds KeyRing::timeBounds() const {
  const std::int64_t skew = options_.max_clock_skew.count();
  return {skew, options_.access_ttl.count() + skew};
}

std::optional<http::Principal> KeyRing::verify(std::string_view token) const {
  const std::int64_t now = clock_();
  reloadIfDue(now);
  auto result = check(token, now);
  if (const auto* error = std::get_if<JwtError>(&result);
      error && *error == JwtError::kUnknownKey) {
    // Perhaps another process rotated: read the keys again (at most once a second).
    reloadForUnknownKid(now);
    result = check(token, now);
  }
  const auto* claims = std::get_if<AccessClaims>(&result);
  if (claims == nullptr || !parseRole(claims->role)) return std::nullopt;
  return http::Principal{claims->subject, claims->role, claims->token_id};
}

void KeyRing::rotate() {
  const std::int64_t now = clock_();
  const std::lock_guard lock(reload_mutex_);
  const auto keys = snapshot();
  std::optional<std::string> previous;
  if (keys->active) previous = keys->accepted[*keys->active].key.kid;
  addSigningKey(now, previous);
}

std::string KeyRing::jwks() const {
  const std::int64_t now = clock_();
  reloadIfDue(now);
  const auto keys = snapshot();
  json::Writer out;
  out.startObject().key("keys").startArray();
  for (const StoredKey& stored : keys->accepted) {
    if (!accepts(stored, now)) continue;
    out.startObject()
        .member("kty", "OKP")
        .member("crv", "Ed25519")
        .member("kid", stored.key.kid)
        .member("x", base64UrlEncode(stored.key.public_key))
        .member("alg", "EdDSA")
        .member("use", "sig")
        .endObject();
  }
  out.endArray().endObject();
  return out.str();
}

std::string KeyRing::activeKid() const {
  const auto keys = snapshot();
  return keys->active ? keys->accepted[*keys->active].key.kid : std::string();
}

std::shared_ptr<const KeyRing::Keys> KeyRing::snapshot() const {
  const std::shared_lock lock(mutex_);
  return keys_;
}

bool KeyRing::accepts(const StoredKey& key, std::int64_t now) const {
  const std::int64_t retention = options_.access_ttl.count() + options_.reload_interval.count();
  return !key.retired_at || now < *key.retired_at + retention;
}

void KeyRing::load(std::int64_t now) const {
  auto keys = std::make_shared<Keys>();
  bool expired = false;
  for (StoredKey& stored : store_.all()) {
    if (accepts(stored, now)) {
      keys->accepted.push_back(std::move(stored));
    } else {
      expired = true;
    }
  }
  // The newest unretired key signs; every process picks the same one.
  for (std::size_t i = keys->accepted.size(); i-- > 0;) {
    if (!keys->accepted[i].retired_at) {
      keys->active = i;
      break;
    }
  }
  {
    const std::unique_lock lock(mutex_);
    keys_ = std::move(keys);
  }
  loaded_at_.store(now);
  if (expired) {
    const std::int64_t retention = options_.access_ttl.count() + options_.reload_interval.count();
    try {
      // The keys no longer accepted: retired_at <= now - retention.
      store_.deleteRetiredBefore(now - retention + 1);
    } catch (const std::exception&) {
      // The keys are refused already; the next load prunes them.
      reload_failures_.fetch_add(1);
    }
  }
}

void KeyRing::reloadIfDue(std::int64_t now) const {
  if (now - loaded_at_.load() < options_.reload_interval.count()) return;
  const std::unique_lock lock(reload_mutex_, std::try_to_lock);
  // Another thread is loading; the keys in hand are fine until it is done.
  if (!lock.owns_lock() || now - loaded_at_.load() < options_.reload_interval.count()) return;
  try {
    load(now);
  } catch (const std::exception&) {
    // Keep the keys in hand, and wait a full interval rather than hitting a
    // failing database on every request.
    loaded_at_.store(now);
    reload_failures_.fetch_add(1);
  }
}

void KeyRing::reloadForUnknownKid(std::int64_t now) const {
  // Waits for a load in progress, whose result the caller then uses.
  const std::lock_guard lock(reload_mutex_);
  if (unknown_kid_reload_at_ >= now) return;
  unknown_kid_reload_at_ = now;
  try {
    load(now);
  } catch (const std::exception&) {
    reload_failures_.fetch_add(1);
  }
}

void KeyRing::addSigningKey(std::int64_t now, const std::optional<std::string>& previous) {
  const Ed25519Key key = generateEd25519Key(util::newId("key"));
  store_.insert(key, now);
  // Retire the previous key and any unretired key older than the new one (a
  // twin made by a process that started at the same time). A newer one, made
  // by a concurrent rotation elsewhere, stays: so the newest key is never
  // retired, and every process ends up signing with it.
  for (const StoredKey& stored : store_.all()) {
    if (stored.retired_at || stored.key.kid == key.kid) continue;
    if (stored.key.kid == previous ||
        std::tie(stored.created_at, stored.key.kid) < std::tie(now, key.kid)) {
      store_.retire(stored.key.kid, now);
    }
  }
  load(now);
}

std::variant<AccessClaims, JwtError> KeyRing::check(std::string_view token,
                                                    std::int64_t now) const {
  const auto keys = snapshot();
  return verifyJwt(
      token,
      [&](std::string_view kid) -> const Ed25519Key* {
        for (const StoredKey& stored : keys->accepted) {
          if (stored.key.kid == kid) return accepts(stored, now) ? &stored.key : nullptr;
        }
        return nullptr;
      },
      now, timeBounds());
}

}  // namespace emporium::users
