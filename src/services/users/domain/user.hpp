#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace emporium::users {

enum class Role { kCustomer, kAdmin };

std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view text);

struct User {
  std::string id;
  std::string email;
  std::string name;
  Role role = Role::kCustomer;
  std::string created_at;
};

/// Emails compare case-insensitively: the stored key is trimmed and lower-cased.
std::string normalizeEmail(std::string_view email);

/// nullopt when acceptable, else why not ("must be a valid email address").
std::optional<std::string> checkEmail(std::string_view email);
std::optional<std::string> checkPassword(std::string_view password);
std::optional<std::string> checkName(std::string_view name);

}  // namespace emporium::users
