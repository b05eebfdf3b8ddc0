#include "services/users/storage/user_store.hpp"

#include "core/util/ids.hpp"

namespace emporium::users {
namespace {

constexpr sql::Query kInsertUser{
    "users.insert",
    "INSERT INTO users (id, email, email_normalized, name, password_hash, role, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"};

constexpr sql::Query kFindByEmail{
    "users.find_by_email",
    "SELECT id, email, name, role, created_at FROM users WHERE email_normalized = $1"};

User readUser(const sql::Row& row) {
  return User{row.getText(0), row.getText(1), row.getText(2),
              parseRole(row.getText(3)).value_or(Role::kCustomer), row.getText(4)};
}

}  // namespace

std::optional<User> UserStore::create(const NewUser& user) {
  User created{util::newId("usr"), user.email, user.name, user.role, util::nowRfc3339()};
  const std::string normalized = normalizeEmail(user.email);
  try {
    db_.write([&](sql::Session& s) {
      s.execute(kInsertUser, {created.id, created.email, normalized, created.name,
                              user.password_hash, roleName(created.role), created.created_at});
    });
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return std::nullopt;
    throw;
  }
  return created;
}

std::optional<User> UserStore::findByEmail(const std::string& email) {
  return db_.read([&](sql::Session& s) -> std::optional<User> {
    const auto rows = s.execute(kFindByEmail, {normalizeEmail(email)});
    if (rows.empty()) return std::nullopt;
    return readUser(rows[0]);
  });
}

}  // namespace emporium::users
