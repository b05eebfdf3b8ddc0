#include "services/users/storage/address_store.hpp"

#include <array>

#include "core/util/ids.hpp"

namespace emporium::users {
namespace {

constexpr sql::Query kList{
    "addresses.list",
    "SELECT id, name, line1, line2, city, region, postal_code, country, created_at "
    "FROM addresses WHERE user_id = $1 ORDER BY id"};

constexpr sql::Query kFind{
    "addresses.find",
    "SELECT id, name, line1, line2, city, region, postal_code, country, created_at "
    "FROM addresses WHERE user_id = $1 AND id = $2"};

// A no-op update that takes the user's row lock: concurrent adds for one user
// count and insert one after another, so the cap holds on PostgreSQL too.
constexpr sql::Query kLockUser{"addresses.lock_user",
                               "UPDATE users SET updated_at = updated_at WHERE id = $1"};

constexpr sql::Query kCount{"addresses.count", "SELECT COUNT(*) FROM addresses WHERE user_id = $1"};

constexpr sql::Query kInsert{
    "addresses.insert",
    "INSERT INTO addresses (id, user_id, name, line1, line2, city, region, postal_code, country, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"};

// The user id is part of every statement: one user can never name another's row.
constexpr sql::Query kDelete{"addresses.delete",
                             "DELETE FROM addresses WHERE user_id = $1 AND id = $2"};

Address readAddress(const sql::Row& r) {
  return Address{r.getText(0),         r.getText(1), r.getText(2),
                 r.getOptionalText(3), r.getText(4), r.getOptionalText(5),
                 r.getText(6),         r.getText(7), r.getText(8)};
}

sql::Param optional(const std::optional<std::string>& v) {
  if (!v) return nullptr;
  return std::string_view(*v);
}

}  // namespace

std::vector<Address> AddressStore::list(const std::string& user_id) {
  return db_.read([&](sql::Session& s) {
    std::vector<Address> out;
    for (const auto& row : s.execute(kList, {user_id})) out.push_back(readAddress(row));
    return out;
  });
}

std::optional<Address> AddressStore::find(const std::string& user_id,
                                          const std::string& address_id) {
  return db_.read([&](sql::Session& s) -> std::optional<Address> {
    const auto rows = s.execute(kFind, {user_id, address_id});
    if (rows.empty()) return std::nullopt;
    return readAddress(rows[0]);
  });
}

std::optional<Address> AddressStore::add(const std::string& user_id, Address address,
                                         std::size_t max_per_user) {
  address.id = util::newId("adr");
  address.created_at = util::nowRfc3339();
  const bool added = db_.write([&](sql::Session& s) {
    s.execute(kLockUser, {user_id});
    const auto count = s.execute(kCount, {user_id})[0].getInt64(0);
    if (count >= static_cast<std::int64_t>(max_per_user)) return false;
    const std::array<sql::Param, 10> params{address.id,
                                            user_id,
                                            address.name,
                                            address.line1,
                                            optional(address.line2),
                                            address.city,
                                            optional(address.region),
                                            address.postal_code,
                                            address.country,
                                            address.created_at};
    s.execute(kInsert, params);
    return true;
  });
  if (!added) return std::nullopt;
  return address;
}

bool AddressStore::remove(const std::string& user_id, const std::string& address_id) {
  return db_.write([&](sql::Session& s) {
    return s.execute(kDelete, {user_id, address_id}).affectedRows() == 1;
  });
}

}  // namespace emporium::users
