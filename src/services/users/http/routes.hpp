#pragma once
// The users service's HTTP API: /api/v1/auth/*, /api/v1/me, addresses, JWKS.

#include "core/http/router.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "services/users/domain/auth_service.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/domain/sign_in_guard.hpp"
#include "services/users/storage/address_store.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::users {

/// Limits on sign-in and sign-up, per client address and per account. Sign-in
/// counts accounts' failures in SignInGuard instead of per_account.
struct AuthLimits {
  bool enabled = true;                         // also switches SignInGuard
  ratelimit::Limit per_ip{10, 10.0 / 60};      // 10 at once, then one every 6 s
  ratelimit::Limit per_account{5, 5.0 / 300};  // 5 at once, then one a minute
};

struct UsersApi {
  AuthService& auth;
  UserStore& users;
  AddressStore& addresses;
  const KeyRing& keys;
  ratelimit::RateLimiter& limiter;
  SignInGuard& guard;
  AuthLimits limits;
};

/// Registers the routes; api must outlive the router.
void addRoutes(http::Router& router, const UsersApi& api);

}  // namespace emporium::users
