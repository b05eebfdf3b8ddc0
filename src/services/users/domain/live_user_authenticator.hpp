#pragma once
// Access tokens of users that no longer exist are refused on every route,
// not only on /me: a signed token outlives a deleted account (or a restored
// database) by up to its TTL otherwise. The existence check is cached briefly
// per user, so a busy client costs one indexed read every few seconds.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/http/auth.hpp"

namespace emporium::users {

class LiveUserAuthenticator final : public http::Authenticator {
 public:
  /// Whether a user id names an existing user; may throw (sql::Error).
  using UserExists = std::function<bool(const std::string& user_id)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  LiveUserAuthenticator(const http::Authenticator& tokens, UserExists exists,
                        std::chrono::milliseconds cache_for = std::chrono::seconds(5),
                        Clock clock = &std::chrono::steady_clock::now)
      : tokens_(tokens),
        exists_(std::move(exists)),
        cache_for_(cache_for),
        clock_(std::move(clock)) {}

  /// The token's principal when the token verifies and its user exists.
  /// Throws only what UserExists throws (the store is down).
  std::optional<http::Principal> verify(std::string_view token) const override;

 private:
  struct Known {
    bool exists;
    std::chrono::steady_clock::time_point until;
  };
  static constexpr std::size_t kMaxCached = 10'000;

  const http::Authenticator& tokens_;
  UserExists exists_;
  std::chrono::milliseconds cache_for_;
  Clock clock_;
  mutable std::mutex mutex_;  // guards known_
  mutable std::unordered_map<std::string, Known> known_;
};

}  // namespace emporium::users
