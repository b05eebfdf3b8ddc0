#include "services/users/domain/user.hpp"

#include <algorithm>
#include <cctype>

#include "core/json/utf8.hpp"

namespace emporium::users {

std::string_view roleName(Role role) { return role == Role::kAdmin ? "admin" : "customer"; }

std::optional<Role> parseRole(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "customer") return Role::kCustomer;
  return std::nullopt;
}

std::string normalizeEmail(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) email.remove_suffix(1);
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> checkEmail(std::string_view email) {
  constexpr std::size_t kMaxEmail = 254;  // RFC 5321 path limit
  if (email.empty()) return "is required";
  if (email.size() > kMaxEmail) return "must be at most 254 characters";
  if (!json::isValidUtf8(email)) return "must be valid UTF-8";
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at != email.rfind('@')) {
    return "must be a valid email address";
  }
  const auto domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.') {
    return "must be a valid email address";
  }
  for (const char c : email) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "must not contain spaces or control characters";
  }
  return std::nullopt;
}

std::optional<std::string> checkPassword(std::string_view password) {
  constexpr std::size_t kMinPassword = 8;
  constexpr std::size_t kMaxPassword = 1024;  // bounds hashing cost per request
  if (password.size() < kMinPassword) return "must be at least 8 characters";
  if (password.size() > kMaxPassword) return "must be at most 1024 characters";
  if (!json::isValidUtf8(password)) return "must be valid UTF-8";
  return std::nullopt;
}

}  // namespace emporium::users
