#include "services/users/domain/auth_service.hpp"

#include "services/users/domain/password.hpp"

namespace emporium::users {

SignedIn AuthService::signIn(User user, IssuedRefreshToken refresh) {
  auto access = keys_.issue(user.id, roleName(user.role));
  return SignedIn{std::move(user), std::move(access.token), std::move(refresh.token),
                  access.expires_in};
}

std::variant<SignedIn, AuthFailure> AuthService::registerUser(const std::string& email,
                                                              const std::string& password,
                                                              const std::string& name) {
  auto user = users_.create({email, name, hashPassword(password), Role::kCustomer});
  if (!user) return AuthFailure::kEmailTaken;
  auto refresh = tokens_.issue(user->id);
  return signIn(std::move(*user), std::move(refresh));
}

std::variant<SignedIn, AuthFailure> AuthService::login(const std::string& email,
                                                       const std::string& password) {
  auto credentials = users_.credentialsByEmail(email);
  if (!credentials) {
    // Same work as a real check, so response time does not reveal which emails exist.
    (void)verifyPassword(password, decoyHash());
    return AuthFailure::kBadCredentials;
  }
  if (!verifyPassword(password, credentials->password_hash)) return AuthFailure::kBadCredentials;
  if (needsRehash(credentials->password_hash)) {
    users_.setPasswordHash(credentials->user.id, hashPassword(password));
  }
  auto refresh = tokens_.issue(credentials->user.id);
  return signIn(std::move(credentials->user), std::move(refresh));
}

std::variant<SignedIn, AuthFailure> AuthService::refresh(const std::string& refresh_token) {
  auto rotated = tokens_.rotate(refresh_token);
  if (std::holds_alternative<RefreshFailure>(rotated)) return AuthFailure::kInvalidRefreshToken;
  auto& next = std::get<RotatedRefreshToken>(rotated);
  auto user = users_.findById(next.user_id);
  if (!user) return AuthFailure::kInvalidRefreshToken;
  return signIn(std::move(*user), std::move(next.next));
}

void AuthService::logout(const std::string& refresh_token) {
  tokens_.revokeFamilyOf(refresh_token);
}

bool AuthService::changePassword(const std::string& user_id, const std::string& current_password,
                                 const std::string& new_password) {
  const auto credentials = users_.credentialsById(user_id);
  if (!credentials || !verifyPassword(current_password, credentials->password_hash)) return false;
  users_.setPasswordHash(user_id, hashPassword(new_password));
  tokens_.revokeAllOf(user_id);
  return true;
}

}  // namespace emporium::users
