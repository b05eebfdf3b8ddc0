#include "services/users/domain/user.hpp"

#include <algorithm>
#include <cctype>

#include "core/json/utf8.hpp"
#include "core/util/email_address.hpp"
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

namespace {

// Decodes one code point of valid UTF-8 starting at text[i]; advances i.
char32_t nextCodePoint(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return text[i++];
  const int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : 1;
  char32_t cp = b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

// Characters that make a name deceive or break a page: C0/C1 controls and
// bidirectional overrides ("evil\u202Egnp.exe").
bool isForbiddenInName(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// Space and zero-width characters: a name made only of these shows nothing.
bool isInvisible(char32_t cp) {
  return cp == ' ' || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200F) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0x3000 ||
         cp == 0xFEFF;
}

}  // namespace

std::optional<std::string> checkName(std::string_view name) {
  constexpr std::size_t kMaxName = 200;
  if (!json::isValidUtf8(name)) return "must be valid UTF-8";
  if (name.size() > kMaxName) return "must be at most 200 bytes";
  bool visible = false;
  for (std::size_t i = 0; i < name.size();) {
    const char32_t cp = nextCodePoint(name, i);
    if (isForbiddenInName(cp)) return "must not contain control or text-direction characters";
    if (!isInvisible(cp)) visible = true;
  }
  if (!visible) return "must not be empty";
  return std::nullopt;
}

}  // namespace emporium::users
