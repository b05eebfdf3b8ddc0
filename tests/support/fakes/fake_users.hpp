#pragma once
// users::Client for suites that test another service: users and their saved
// addresses held in memory, put in by the test. Thread-safe, as the real one is.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/users/client.hpp"

namespace emporium::test {

class FakeUsers final : public users::Client {
 public:
  std::optional<std::string> name(const std::string& user_id) override {
    const std::lock_guard lock(mutex_);
    const auto it = users_.find(user_id);
    if (it == users_.end()) return std::nullopt;
    return it->second.recipient.name;
  }

  std::optional<users::Recipient> recipient(const std::string& user_id) override {
    const std::lock_guard lock(mutex_);
    const auto it = users_.find(user_id);
    if (it == users_.end()) return std::nullopt;
    return it->second.recipient;
  }

  std::vector<users::Recipient> admins() override {
    const std::lock_guard lock(mutex_);
    std::vector<users::Recipient> out;
    for (const auto& id : order_) {
      const auto& user = users_.at(id);
      if (user.admin) out.push_back(user.recipient);
    }
    return out;
  }

  std::optional<util::PostalAddress> address(const std::string& user_id,
                                             const std::string& address_id) override {
    const std::lock_guard lock(mutex_);
    const auto it = addresses_.find(address_id);
    if (it == addresses_.end() || it->second.first != user_id) return std::nullopt;
    return it->second.second;
  }

  /// Adds (or replaces) the user `id`; admins() lists users in the order they
  /// were first put, as the real one lists the oldest first.
  void putUser(const std::string& id, users::Recipient recipient, bool admin = false) {
    const std::lock_guard lock(mutex_);
    if (!users_.contains(id)) order_.push_back(id);
    users_[id] = User{std::move(recipient), admin};
  }
  /// Adds a user under a new id ("usr_fake<n>") and returns it.
  std::string addUser(const std::string& email, const std::string& name, bool admin = false) {
    std::string id = nextId("usr_fake");
    putUser(id, {email, name}, admin);
    return id;
  }
  /// Saves an address for the user under a new id ("adr_fake<n>") and returns it.
  std::string addAddress(const std::string& user_id, util::PostalAddress address) {
    std::string id = nextId("adr_fake");
    const std::lock_guard lock(mutex_);
    addresses_[id] = {user_id, std::move(address)};
    return id;
  }
  /// The user is gone (deleted): name() and recipient() find nothing.
  void removeUser(const std::string& id) {
    const std::lock_guard lock(mutex_);
    users_.erase(id);
    std::erase(order_, id);
  }

 private:
  struct User {
    users::Recipient recipient;
    bool admin = false;
  };

  std::string nextId(const std::string& prefix) {
    const std::lock_guard lock(mutex_);
    return prefix + std::to_string(++ids_);
  }

  std::mutex mutex_;
  std::map<std::string, User> users_;
  std::vector<std::string> order_;  // ids in the order first put
  std::map<std::string, std::pair<std::string, util::PostalAddress>>
      addresses_;  // id -> owner, address
  int ids_ = 0;
};

}  // namespace emporium::test
