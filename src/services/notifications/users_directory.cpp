#include "services/notifications/users_directory.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace emporium::notifications {
namespace {

// The users service stores emails lower-cased; a configured address may be
// typed in any case and still names the same mailbox.
bool sameEmail(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

void addUnlisted(std::vector<Recipient>& list, Recipient recipient) {
  const bool listed = std::any_of(list.begin(), list.end(), [&](const Recipient& r) {
    return sameEmail(r.email, recipient.email);
  });
  if (!listed) list.push_back(std::move(recipient));
}

}  // namespace

std::optional<Recipient> UsersDirectory::user(const std::string& user_id) {
  auto found = users_.recipient(user_id);
  if (!found) return std::nullopt;
  return Recipient{std::move(found->email), std::move(found->name)};
}

std::vector<Recipient> UsersDirectory::admins() {
  std::vector<Recipient> admins;
  for (const auto& email : admin_emails_) addUnlisted(admins, {email, "Shop admin"});
  for (auto& user : users_.admins()) {
    addUnlisted(admins, {std::move(user.email), std::move(user.name)});
  }
  return admins;
}

}  // namespace emporium::notifications
