#pragma once
// Who gets the mail, as the users service knows it: a user's own address for
// their mail, and for operational mail (low stock) the configured operations
// addresses plus every admin user.

#include <string>
#include <vector>

#include "services/notifications/notifications_service.hpp"
#include "services/users/client.hpp"

namespace emporium::notifications {

class UsersDirectory final : public RecipientDirectory {
 public:
  /// `users` outlives this directory; `admin_emails` (config admin_emails)
  /// come first in admins(), named "Shop admin".
  UsersDirectory(users::Client& users, std::vector<std::string> admin_emails)
      : users_(users), admin_emails_(std::move(admin_emails)) {}

  std::optional<Recipient> user(const std::string& user_id) override;
  /// The configured addresses, then every admin user whose address is not
  /// among them: nobody is mailed twice.
  std::vector<Recipient> admins() override;

 private:
  users::Client& users_;
  std::vector<std::string> admin_emails_;
};

}  // namespace emporium::notifications
