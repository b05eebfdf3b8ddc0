#include "services/users/users_client.hpp"

#include <utility>

namespace emporium::users {

std::optional<std::string> LocalClient::name(const std::string& user_id) {
  auto user = users_.findById(user_id);
  if (!user) return std::nullopt;
  return std::move(user->name);
}

std::optional<Recipient> LocalClient::recipient(const std::string& user_id) {
  auto user = users_.findById(user_id);
  if (!user) return std::nullopt;
  return Recipient{std::move(user->email), std::move(user->name)};
}

std::vector<Recipient> LocalClient::admins() {
  std::vector<Recipient> out;
  for (auto& user : users_.admins()) out.push_back({std::move(user.email), std::move(user.name)});
  return out;
}

std::optional<util::PostalAddress> LocalClient::address(const std::string& user_id,
                                                        const std::string& address_id) {
  auto found = addresses_.find(user_id, address_id);
  if (!found) return std::nullopt;
  return util::PostalAddress{std::move(found->name),   std::move(found->line1),
                             std::move(found->line2),  std::move(found->city),
                             std::move(found->region), std::move(found->postal_code),
                             std::move(found->country)};
}

}  // namespace emporium::users
