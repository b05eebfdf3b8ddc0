#pragma once
// The users service's contract: what other services may ask of it (a user's
// name and mail address, the admins, a saved address), in plain data with no
// HTTP or SQL types. In the all-in-one process users::LocalClient answers
// from the users database (users_client.hpp).

#include <optional>
#include <string>
#include <vector>

#include "core/util/postal_address.hpp"

namespace emporium::users {

/// Where and to whom mail for a user goes.
struct Recipient {
  std::string email;
  std::string name;
};

class Client {
 public:
  virtual ~Client() = default;
  /// The user's full name as they gave it; nullopt when there is no such
  /// user (never was, or deleted).
  virtual std::optional<std::string> name(const std::string& user_id) = 0;
  /// The user's mail address and name; nullopt when there is no such user.
  virtual std::optional<Recipient> recipient(const std::string& user_id) = 0;
  /// Every user with the admin role, oldest account first.
  virtual std::vector<Recipient> admins() = 0;
  /// One of the user's saved addresses; another user's address id is not
  /// found (nullopt), as an unknown one is.
  virtual std::optional<util::PostalAddress> address(const std::string& user_id,
                                                     const std::string& address_id) = 0;
};

}  // namespace emporium::users
