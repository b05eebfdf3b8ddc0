#pragma once
// The users service assembled: its stores, key ring, domain logic and routes,
// built over one database. The app's composition root owns one of these.

#include "core/http/auth.hpp"
#include "core/http/router.hpp"
#include "core/module/module.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "core/sql/database.hpp"
#include "services/users/domain/auth_service.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/domain/live_user_authenticator.hpp"
#include "services/users/http/internal_routes.hpp"
#include "services/users/http/routes.hpp"
#include "services/users/storage/address_store.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/storage/sign_in_store.hpp"
#include "services/users/storage/token_store.hpp"
#include "services/users/storage/user_store.hpp"
#include "services/users/users_client.hpp"

namespace emporium::users {

class UsersModule final : public module::Module {
 public:
  /// kek seals the signing keys at rest; without one they are stored in clear.
  UsersModule(sql::Database& db, const events::Outbox& outbox, ratelimit::RateLimiter& limiter,
              AuthLimits limits, const std::optional<KeyEncryptionKey>& kek = std::nullopt);

  std::string_view name() const override { return "users"; }
  void addRoutes(http::Router& router) override { users::addRoutes(router, api_); }
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) override {
    users::addInternalRoutes(router, client_, credential);
  }
  /// emporium_auth_key_reload_failures_total.
  void collect(metrics::Exposition& out) const override;
  /// Verifies access tokens for every service's routes, refusing those of
  /// users that do not exist (any more).
  const http::Authenticator& authenticator() const { return live_users_; }
  KeyRing& keys() { return keys_; }
  /// What other services in this process ask of users: names, mail
  /// addresses, admins, saved shipping addresses.
  Client& client() { return client_; }
  /// The stores themselves; other services use client(). (Go with A7.)
  UserStore& users() { return users_; }
  AddressStore& addresses() { return addresses_; }

 private:
  UserStore users_;
  TokenStore tokens_;
  AddressStore addresses_;
  LocalClient client_;
  KeyStore key_store_;
  KeyRing keys_;
  LiveUserAuthenticator live_users_;
  AuthService auth_;
  SignInStore sign_ins_;
  SignInGuard guard_;
  UsersApi api_;
};

}  // namespace emporium::users
