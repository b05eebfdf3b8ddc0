#include "services/users/domain/user.hpp"

#include <algorithm>
#include <cctype>

#include "core/json/utf8.hpp"
#include "core/util/email_address.hpp"
#include "core/util/postal_address.hpp"
#include "services/users/domain/common_passwords.hpp"

namespace emporium::users {

std::string_view roleName(Role role) { return role == Role::kAdmin ? "admin" : "customer"; }

std::optional<Role> parseRole(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "customer") return Role::kCustomer;
  return std::nullopt;
}

std::string normalizeEmail(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())))
    email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())))
    email.remove_suffix(1);
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> checkEmail(std::string_view email) {
  if (!json::isValidUtf8(email)) return "must be valid UTF-8";
  // The mailer's rule, so that every account can be sent mail.
  return util::emailAddressProblem(email);
}

std::optional<std::string> checkPassword(std::string_view password) {
  constexpr std::size_t kMinPassword = 8;
  constexpr std::size_t kMaxPassword = 1024;  // bounds hashing cost per request
  if (password.size() < kMinPassword) return "must be at least 8 characters";
  if (password.size() > kMaxPassword) return "must be at most 1024 characters";
  if (!json::isValidUtf8(password)) return "must be valid UTF-8";
  if (password.find_first_not_of(" \t") == std::string_view::npos) {
    return "must not be only spaces";
  }
  if (isCommonPassword(password)) return "is one of the most common passwords; choose another";
  return std::nullopt;
}

std::optional<std::string> checkName(std::string_view name) {
  constexpr std::size_t kMaxName = 200;
  if (!json::isValidUtf8(name)) return "must be valid UTF-8";
  if (name.size() > kMaxName) return "must be at most 200 bytes";
  return util::displayTextProblem(name);
}

}  // namespace emporium::users
