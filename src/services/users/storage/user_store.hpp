#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/events/outbox.hpp"
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

/// A user together with the stored password hash, for sign-in only.
struct Credentials {
  User user;
  std::string password_hash;
};

class UserStore {
 public:
  /// create() adds a "user.registered" event to `outbox` in its transaction.
  UserStore(sql::Database& db, const events::Outbox& outbox) : db_(db), outbox_(outbox) {}

  /// Inserts a user; nullopt when the (normalized) email is taken.
  std::optional<User> create(const NewUser& user);
  std::optional<User> findByEmail(const std::string& email);
  std::optional<User> findById(const std::string& id);
  std::optional<Credentials> credentialsByEmail(const std::string& email);
  std::optional<Credentials> credentialsById(const std::string& id);
  void setPasswordHash(const std::string& user_id, const std::string& hash);
  void setName(const std::string& user_id, const std::string& name);
  /// Newest first: up to limit users with ids below `before` (all when nullopt).
  /// Every user with the admin role (the first 1000), oldest first.
  std::vector<User> admins();
  std::vector<User> listNewestFirst(const std::optional<std::string>& before, std::size_t limit);

 private:
  sql::Database& db_;
  const events::Outbox& outbox_;
};

}  // namespace emporium::users
