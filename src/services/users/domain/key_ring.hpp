#pragma once
// The signing keys of access tokens, shared through the database by every
// process of the users service. One key signs; every key retired recently
// enough still verifies, so a rotation never logs anyone out.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/http/auth.hpp"
#include "services/users/domain/jwt.hpp"
#include "services/users/storage/key_store.hpp"

namespace emporium::users {

struct KeyRingOptions {
  /// Lifetime of an access token.
  std::chrono::seconds access_ttl{900};
  /// How stale the keys may get before verify() or issue() reads them again.
  std::chrono::seconds reload_interval{30};
  /// How far ahead of our clock a token's iat may be (another instance's
  /// clock may run ahead). Tokens living longer than access_ttl plus this are
  /// refused too: this service never issues them.
  std::chrono::seconds max_clock_skew{60};
};

/// An access token as the login response returns it.
struct IssuedToken {
  std::string token;
  std::int64_t expires_in = 0;  // seconds
};

/// Issues and verifies access tokens (http::Authenticator). Thread-safe.
///
/// A retired key keeps verifying until retired_at + access_ttl +
/// reload_interval: another process may sign with it for up to one
/// reload_interval after the retirement before it reads the keys again, and
/// its tokens then live for access_ttl. After that the key is refused and
/// deleted from the store.
class KeyRing final : public http::Authenticator {
 public:
  /// Seconds since the epoch.
  using Clock = std::function<std::int64_t()>;

  /// Loads the keys, creating the first signing key when there is none.
  /// Throws sql::Error when the store cannot be read or written.
  explicit KeyRing(KeyStore& store, Clock clock = systemClock(), KeyRingOptions options = {});

  /// A token for the user, signed with the active key. Throws sql::Error only
  /// when there is no signing key and one cannot be created.
  IssuedToken issue(std::string_view user_id, std::string_view role);

  /// The principal of a valid token; nullopt for anything else. Never
  /// throws: a store that fails during a reload leaves the loaded keys in use
  /// (counted in reloadFailures()).
  std::optional<http::Principal> verify(std::string_view token) const override;

  /// Makes a new signing key and retires the previous one (which keeps
  /// verifying its tokens, see above). Throws sql::Error.
  void rotate();

  /// The public keys still accepted, as a JWKS document (RFC 7517 / 8037),
  /// for services that verify tokens without the signing key.
  std::string jwks() const;

  /// The kid new tokens are signed with (empty if there is none).
  std::string activeKid() const;
  /// Reloads that failed and left the previous keys in use, and failed
  /// deletions of expired keys (retried by the next reload).
  std::uint64_t reloadFailures() const { return reload_failures_.load(); }

  static Clock systemClock();

 private:
  struct Keys {
    std::vector<StoredKey> accepted;    // oldest first
    std::optional<std::size_t> active;  // index of the signing key
  };

  std::shared_ptr<const Keys> snapshot() const;
  bool accepts(const StoredKey& key, std::int64_t now) const;
  /// Reads the store, prunes expired retired keys, installs the result.
  void load(std::int64_t now) const;
  /// load() when reload_interval has passed; swallows (and counts) errors.
  void reloadIfDue(std::int64_t now) const;
  /// load() for a kid nobody knows, at most once per second.
  void reloadForUnknownKid(std::int64_t now) const;
  /// Inserts a new key, then retires `previous` and every older unretired key.
  void addSigningKey(std::int64_t now, const std::optional<std::string>& previous);
  std::variant<AccessClaims, JwtError> check(std::string_view token, std::int64_t now) const;
  JwtTimeBounds timeBounds() const;

  KeyStore& store_;
  Clock clock_;
  KeyRingOptions options_;

  mutable std::shared_mutex mutex_;  // guards keys_
  mutable std::shared_ptr<const Keys> keys_;
  mutable std::mutex reload_mutex_;  // one load() at a time
  mutable std::atomic<std::int64_t> loaded_at_{0};
  mutable std::int64_t unknown_kid_reload_at_;  // guarded by reload_mutex_
  mutable std::atomic<std::uint64_t> reload_failures_{0};
};

}  // namespace emporium::users
