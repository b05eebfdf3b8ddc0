#include "services/users/storage/user_store.hpp"

#include "core/json/writer.hpp"
#include "core/util/ids.hpp"

namespace emporium::users {
namespace {

constexpr sql::Query kInsertUser{
    "users.insert",
    "INSERT INTO users (id, email, email_normalized, name, password_hash, role, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"};

constexpr sql::Query kCredentialsByEmail{
    "users.credentials_by_email",
    "SELECT id, email, name, role, created_at, password_hash FROM users "
    "WHERE email_normalized = $1"};

constexpr sql::Query kCredentialsById{
    "users.credentials_by_id",
    "SELECT id, email, name, role, created_at, password_hash FROM users WHERE id = $1"};

constexpr sql::Query kSetPasswordHash{
    "users.set_password_hash",
    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1"};

constexpr sql::Query kSetName{"users.set_name",
                              "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1"};

// Ids are ULIDs, so id order is creation order: a stable keyset.
constexpr sql::Query kListFirst{
    "users.list_first",
    "SELECT id, email, name, role, created_at, password_hash FROM users ORDER BY id DESC LIMIT $1"};
constexpr sql::Query kListAfter{
    "users.list_after",
    "SELECT id, email, name, role, created_at, password_hash FROM users "
    "WHERE id < $1 ORDER BY id DESC LIMIT $2"};

constexpr sql::Query kAdmins{
    "users.admins",
    "SELECT id, email, name, role, created_at, password_hash FROM users WHERE role = 'admin' "
    "ORDER BY id LIMIT 1000"};

Credentials readCredentials(const sql::Row& row) {
  return Credentials{User{row.getText(0), row.getText(1), row.getText(2),
                          parseRole(row.getText(3)).value_or(Role::kCustomer), row.getText(4)},
                     row.getText(5)};
}

std::optional<Credentials> findOne(sql::Database& db, const sql::Query& query,
                                   const std::string& key) {
  return db.read([&](sql::Session& s) -> std::optional<Credentials> {
    const auto rows = s.execute(query, {key});
    if (rows.empty()) return std::nullopt;
    return readCredentials(rows[0]);
  });
}

}  // namespace

std::optional<User> UserStore::create(const NewUser& user) {
  User created{util::newId("usr"), user.email, user.name, user.role, util::nowRfc3339()};
  const std::string normalized = normalizeEmail(user.email);
  try {
    db_.write([&](sql::Session& s) {
      s.execute(kInsertUser, {created.id, created.email, normalized, created.name,
                              user.password_hash, roleName(created.role), created.created_at});
      json::Writer payload;
      payload.startObject()
          .member("user_id", created.id)
          .member("email", created.email)
          .member("name", created.name)
          .endObject();
      outbox_.add(s, "user.registered", payload.str());
    });
    outbox_.committed();
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return std::nullopt;
    throw;
  }
  return created;
}

std::optional<Credentials> UserStore::credentialsByEmail(const std::string& email) {
  return findOne(db_, kCredentialsByEmail, normalizeEmail(email));
}

std::optional<Credentials> UserStore::credentialsById(const std::string& id) {
  return findOne(db_, kCredentialsById, id);
}

std::optional<User> UserStore::findByEmail(const std::string& email) {
  auto c = credentialsByEmail(email);
  if (!c) return std::nullopt;
  return std::move(c->user);
}

std::optional<User> UserStore::findById(const std::string& id) {
  auto c = credentialsById(id);
  if (!c) return std::nullopt;
  return std::move(c->user);
}

void UserStore::setPasswordHash(const std::string& user_id, const std::string& hash) {
  db_.write([&](sql::Session& s) {
    s.execute(kSetPasswordHash, {user_id, hash, util::nowRfc3339()});
  });
}

void UserStore::setName(const std::string& user_id, const std::string& name) {
  db_.write([&](sql::Session& s) { s.execute(kSetName, {user_id, name, util::nowRfc3339()}); });
}

std::vector<User> UserStore::listNewestFirst(const std::optional<std::string>& before,
                                             std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    const auto n = static_cast<std::int64_t>(limit);
    const auto rows = before ? s.execute(kListAfter, {*before, n}) : s.execute(kListFirst, {n});
    std::vector<User> users;
    users.reserve(rows.size());
    for (const auto& row : rows) users.push_back(readCredentials(row).user);
    return users;
  });
}

std::vector<User> UserStore::admins() {
  return db_.read([&](sql::Session& s) {
    std::vector<User> users;
    for (const auto& row : s.execute(kAdmins)) users.push_back(readCredentials(row).user);
    return users;
  });
}

}  // namespace emporium::users
