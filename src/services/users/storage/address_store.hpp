#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/sql/database.hpp"

namespace emporium::users {

struct Address {
  std::string id;
  std::string name;
  std::string line1;
  std::optional<std::string> line2;
  std::string city;
  std::optional<std::string> region;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2
  std::string created_at;
};

class AddressStore {
 public:
  explicit AddressStore(sql::Database& db) : db_(db) {}

  /// The user's addresses, oldest first.
  std::vector<Address> list(const std::string& user_id);
  /// Adds an address; nullopt when the user already has max_per_user.
  std::optional<Address> add(const std::string& user_id, Address address, std::size_t max_per_user);
  /// One of the user's addresses; another user's id is simply not found.
  std::optional<Address> find(const std::string& user_id, const std::string& address_id);
  /// True when the user's address existed and is gone now.
  bool remove(const std::string& user_id, const std::string& address_id);

 private:
  sql::Database& db_;
};

}  // namespace emporium::users
