#pragma once
// Who is calling. The router's routes declare the access they need; the
// dispatcher checks it before any handler runs, so no admin route of any
// service can forget its role check.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::http {

enum class Access : std::uint8_t {
  kPublic,  // anyone
  kUser,    // any signed-in user (401 without a valid token)
  kAdmin,   // role admin (401 without a valid token, 403 for other roles)
};

/// The verified identity behind a request's bearer token.
struct Principal {
  std::string user_id;
  std::string role;      // "customer" or "admin"
  std::string token_id;  // the access token's jti
  bool isAdmin() const { return role == "admin"; }
};

/// Verifies access tokens. Implemented by the users service (JWT); other
/// services only verify, they never sign.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  /// The principal for a valid, unexpired token; nullopt for anything else
  /// (malformed, forged, expired, unknown key). Never throws on bad input.
  virtual std::optional<Principal> verify(std::string_view token) const = 0;
};

class Request;
struct Route;

/// Applies request-rate limits before a handler runs; throws ApiError 429
/// (with Retry-After) when a limit is exceeded.
class RequestLimiter {
 public:
  virtual ~RequestLimiter() = default;
  virtual void check(const Request& req, const Route& route) const = 0;
  /// Whether check() may wait on the network (a limiter shared through
  /// Redis): such a limiter is never consulted on an event loop, so routes
  /// with a fast path then answer from the blocking pool, where it is.
  virtual bool mayBlock() const { return true; }
};

}  // namespace emporium::http
