#pragma once
// Sign-up, sign-in and token rotation: the users service's domain logic,
// free of HTTP. Expected outcomes (email taken, wrong password) are values.

#include <cstdint>
#include <string>
#include <variant>

#include "services/users/domain/key_ring.hpp"
#include "services/users/domain/user.hpp"
#include "services/users/storage/token_store.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::users {

struct SignedIn {
  User user;
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds until the access token expires
};

enum class AuthFailure {
  kEmailTaken,
  kBadCredentials,       // unknown email or wrong password: deliberately one case
  kInvalidRefreshToken,  // unknown, expired, revoked or replayed
};

class AuthService {
 public:
  AuthService(UserStore& users, TokenStore& tokens, KeyRing& keys)
      : users_(users), tokens_(tokens), keys_(keys) {}

  /// Inputs must already be validated (checkEmail/checkPassword/checkName).
  std::variant<SignedIn, AuthFailure> registerUser(const std::string& email,
                                                   const std::string& password,
                                                   const std::string& name);
  /// Takes about the same time whether or not the email exists. Upgrades a
  /// bcrypt or outdated hash to current argon2id after a successful check.
  std::variant<SignedIn, AuthFailure> login(const std::string& email, const std::string& password);
  std::variant<SignedIn, AuthFailure> refresh(const std::string& refresh_token);
  void logout(const std::string& refresh_token);
  /// Checks the current password, stores the new one and signs out every
  /// session of the user; false when current_password is wrong.
  bool changePassword(const std::string& user_id, const std::string& current_password,
                      const std::string& new_password);

 private:
  SignedIn signIn(User user, IssuedRefreshToken refresh);

  UserStore& users_;
  TokenStore& tokens_;
  KeyRing& keys_;
};

}  // namespace emporium::users
