#pragma once
// users::Client in-process: answered by the users service's own stores.

#include "services/users/client.hpp"
#include "services/users/storage/address_store.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::users {

class LocalClient final : public Client {
 public:
  /// Both stores outlive this client.
  LocalClient(UserStore& users, AddressStore& addresses) : users_(users), addresses_(addresses) {}

  std::optional<std::string> name(const std::string& user_id) override;
  std::optional<Recipient> recipient(const std::string& user_id) override;
  std::vector<Recipient> admins() override;
  std::optional<util::PostalAddress> address(const std::string& user_id,
                                             const std::string& address_id) override;

 private:
  UserStore& users_;
  AddressStore& addresses_;
};

}  // namespace emporium::users
