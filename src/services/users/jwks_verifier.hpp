#pragma once
// Access tokens checked in a process that is not the users service (issue 15,
// part 2): the public keys come from the users service's JWKS
// (GET /.well-known/jwks.json), so no other service holds a signing key or
// reads the users database to check a token.
//
// The keys are fetched on first use, again every refresh_every, and at once
// for a kid not seen before (at most once per min_refetch_gap, so tokens with
// made-up kids cannot make it hammer the users service). A refetch that fails
// keeps the keys it has. With no keys at all, or an unknown kid it cannot ask
// about, verify() throws net::PeerError: the request gets 503, not a 401 that
// would sign a user out because the users service was briefly away.

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
#include <vector>

#include "core/http/auth.hpp"
#include "core/net/http_client.hpp"
#include "services/users/domain/jwt.hpp"

namespace emporium::users {

struct JwksOptions {
  std::chrono::seconds refresh_every{60};
  std::chrono::milliseconds min_refetch_gap{1000};
  std::chrono::milliseconds fetch_timeout{1000};
  /// As the users service issues them (KeyRingOptions' defaults).
  JwtTimeBounds bounds;
};

class JwksVerifier final : public http::Authenticator {
 public:
  using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;
  /// Seconds since the epoch, for the tokens' exp and iat.
  using WallClock = std::function<std::int64_t()>;

  /// `urls`: the users service's instances, asked in turn. `http` outlives it.
  JwksVerifier(net::HttpClient& http, std::vector<std::string> urls, JwksOptions options = {},
               WallClock now = {}, SteadyClock steady = {});

  /// The principal of a token signed by one of the users service's keys,
  /// unexpired and within the bounds; nullopt for anything else. Throws
  /// net::PeerError when the keys cannot be had (see above).
  std::optional<http::Principal> verify(std::string_view token) const override;

  /// Reads the JWKS document's Ed25519 keys ({"keys":[{"kty":"OKP","crv":
  /// "Ed25519","kid","x"}, ...]}); keys of another type are skipped. Throws
  /// std::invalid_argument for a document that is not one.
  static std::vector<Ed25519Key> parseJwks(std::string_view document);

 private:
  using Keys = std::vector<Ed25519Key>;
  std::shared_ptr<const Keys> snapshot() const;
  /// Fetches the keys when none are loaded yet, when they are older than
  /// refresh_every, or (force) for an unknown kid outside the refetch gap.
  /// Returns false when a fetch was needed and failed.
  bool refresh(bool force) const;
  Keys fetch() const;

  net::HttpClient& http_;
  std::vector<std::string> urls_;
  JwksOptions options_;
  WallClock now_;
  SteadyClock steady_;

  mutable std::shared_mutex keys_mutex_;  // guards keys_
  mutable std::shared_ptr<const Keys> keys_;
  mutable std::mutex fetch_mutex_;  // one fetch at a time; guards the times below
  mutable std::optional<std::chrono::steady_clock::time_point> fetched_at_;
  mutable std::optional<std::chrono::steady_clock::time_point> tried_at_;
  /// Until when (steady-clock ticks) the keys are fresh: verify() reads it
  /// without the fetch lock, so a request with fresh keys takes no mutex.
  mutable std::atomic<std::chrono::steady_clock::rep> fresh_until_{0};
};

}  // namespace emporium::users
