#pragma once

#include <optional>
#include <string>

#include "core/sql/database.hpp"
#include "core/sql/migrations.hpp"
#include "services/users/domain/user.hpp"

namespace emporium::users {

/// The users service's embedded migrations (generated from storage/migrations).
const sql::MigrationSet& migrations();

struct NewUser {
  std::string email;
  std::string name;
  std::string password_hash;
  Role role = Role::kCustomer;
};

class UserStore {
 public:
  explicit UserStore(sql::Database& db) : db_(db) {}

  /// Inserts a user; nullopt when the (normalized) email is taken.
  std::optional<User> create(const NewUser& user);
  std::optional<User> findByEmail(const std::string& email);

 private:
  sql::Database& db_;
};

}  // namespace emporium::users
