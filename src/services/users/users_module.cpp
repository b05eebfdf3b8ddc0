#include "services/users/users_module.hpp"

#include "services/users/domain/password.hpp"

namespace emporium::users {
namespace {
constexpr std::chrono::seconds kRefreshTokenLifetime{30 * 24 * 3600};
}  // namespace

UsersModule::UsersModule(sql::Database& db, const events::Outbox& outbox,
                         ratelimit::RateLimiter& limiter, AuthLimits limits,
                         const std::optional<KeyEncryptionKey>& kek)
    : users_(db, outbox),
      tokens_(db, kRefreshTokenLifetime),
      addresses_(db),
      client_(users_, addresses_),
      key_store_(db, kek),
      keys_(key_store_),
      live_users_(keys_, [this](const std::string& id) { return users_.findById(id).has_value(); }),
      auth_(users_, tokens_, keys_),
      sign_ins_(db, kek),
      guard_(sign_ins_),
      api_{auth_, users_, addresses_, keys_, limiter, guard_, limits} {
  // Made now, not on the first unknown-email login, whose timing would differ.
  (void)decoyHash();
}

void UsersModule::collect(metrics::Exposition& out) const {
  out.counter("emporium_auth_key_reload_failures_total", "Signing-key reloads that failed.",
              keys_.reloadFailures());
}

}  // namespace emporium::users
