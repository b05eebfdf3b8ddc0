#pragma once
// The users service assembled: its stores, key ring, domain logic and routes,
// built over one database. The app's composition root owns one of these.

#include "core/http/auth.hpp"
#include "core/http/router.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "core/sql/database.hpp"
#include "services/users/domain/auth_service.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/http/routes.hpp"
#include "services/users/storage/address_store.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/storage/token_store.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::users {

class UsersModule {
 public:
  UsersModule(sql::Database& db, const events::Outbox& outbox, ratelimit::RateLimiter& limiter,
              AuthLimits limits);

  void addRoutes(http::Router& router) const { users::addRoutes(router, api_); }
  /// Verifies access tokens for every service's routes.
  const http::Authenticator& authenticator() const { return keys_; }
  KeyRing& keys() { return keys_; }
  /// For other services in this process that show a user (e.g. a reviewer's name).
  UserStore& users() { return users_; }
  /// For checkout: a saved shipping address by id.
  AddressStore& addresses() { return addresses_; }

 private:
  UserStore users_;
  TokenStore tokens_;
  AddressStore addresses_;
  KeyStore key_store_;
  KeyRing keys_;
  AuthService auth_;
  UsersApi api_;
};

}  // namespace emporium::users
