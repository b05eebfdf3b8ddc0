#include "services/users/storage/token_store.hpp"

#include <sodium.h>

#include <array>
#include <chrono>
#include <ctime>

#include "core/sql/migrations.hpp"
#include "core/util/ids.hpp"

namespace emporium::users {
namespace {

constexpr sql::Query kInsertFamily{
    "refresh_families.insert",
    "INSERT INTO refresh_families (family_id, user_id, created_at) VALUES ($1, $2, $3)"};

constexpr sql::Query kInsertToken{
    "refresh_tokens.insert",
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) "
    "VALUES ($1, $2, $3, $4, $5)"};

constexpr sql::Query kFindToken{
    "refresh_tokens.find", "SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1"};

// Takes the family's row lock (a no-op update) and tells whether it is live.
// Every rotation and revocation of the family goes through it first.
constexpr sql::Query kLockLiveFamily{
    "refresh_families.lock_live",
    "UPDATE refresh_families SET revoked_at = revoked_at WHERE family_id = $1 "
    "AND revoked_at IS NULL"};

// Under the family lock the conditional update is the whole check: exactly
// one caller moves a token from unused to used.
constexpr sql::Query kMarkUsed{
    "refresh_tokens.mark_used",
    "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL "
    "AND revoked_at IS NULL AND expires_at > $2"};

constexpr sql::Query kWasUsed{
    "refresh_tokens.was_used",
    "SELECT 1 FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL"};

constexpr sql::Query kRevokeFamily{
    "refresh_families.revoke",
    "UPDATE refresh_families SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL"};

constexpr sql::Query kRevokeFamilyTokens{
    "refresh_tokens.revoke_family",
    "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL"};

constexpr sql::Query kRevokeUserFamilies{
    "refresh_families.revoke_user",
    "UPDATE refresh_families SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"};

constexpr sql::Query kRevokeUserTokens{
    "refresh_tokens.revoke_user",
    "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"};

// Revokes a family: the family row first (waiting for a rotation in flight
// to commit), then its tokens, read after that wait so successors are seen.
void revokeFamily(sql::Session& s, const std::string& family, const std::string& now) {
  s.execute(kRevokeFamily, {family, now});
  s.execute(kRevokeFamilyTokens, {family, now});
}

std::string newToken() {
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)> out{};
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return "rt_" + std::string(out.data());
}

std::string rfc3339After(std::chrono::seconds delta) {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + delta);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
  return std::string(buf, n);
}

}  // namespace

IssuedRefreshToken TokenStore::issue(const std::string& user_id) {
  IssuedRefreshToken issued{newToken(), util::newId("rtf")};
  const auto now = util::nowRfc3339();
  db_.write([&](sql::Session& s) {
    s.execute(kInsertFamily, {issued.family_id, user_id, now});
    s.execute(kInsertToken, {sql::sha256Hex(issued.token), issued.family_id, user_id, now,
                             rfc3339After(lifetime_)});
  });
  return issued;
}

std::variant<RotatedRefreshToken, RefreshFailure> TokenStore::rotate(const std::string& token) {
  const auto hash = sql::sha256Hex(token);
  const auto now = util::nowRfc3339();
  return db_.write([&](sql::Session& s) -> std::variant<RotatedRefreshToken, RefreshFailure> {
    const auto rows = s.execute(kFindToken, {hash});
    if (rows.empty()) return RefreshFailure::kUnknown;
    const auto family = rows[0].getText(0);
    const auto user_id = rows[0].getText(1);
    if (s.execute(kLockLiveFamily, {family}).affectedRows() == 0) return RefreshFailure::kUnknown;
    if (s.execute(kMarkUsed, {hash, now}).affectedRows() == 1) {
      IssuedRefreshToken next{newToken(), family};
      s.execute(kInsertToken,
                {sql::sha256Hex(next.token), family, user_id, now, rfc3339After(lifetime_)});
      return RotatedRefreshToken{user_id, std::move(next)};
    }
    // Used before: someone replayed a rotated token. Either the thief or the
    // owner holds the live successor; revoke them all.
    if (!s.execute(kWasUsed, {hash}).empty()) {
      revokeFamily(s, family, now);
      return RefreshFailure::kReused;
    }
    return RefreshFailure::kUnknown;  // expired or revoked
  });
}

void TokenStore::revokeFamilyOf(const std::string& token) {
  const auto hash = sql::sha256Hex(token);
  const auto now = util::nowRfc3339();
  db_.write([&](sql::Session& s) {
    const auto rows = s.execute(kFindToken, {hash});
    if (!rows.empty()) revokeFamily(s, rows[0].getText(0), now);
  });
}

void TokenStore::revokeAllOf(const std::string& user_id) {
  const auto now = util::nowRfc3339();
  db_.write([&](sql::Session& s) {
    s.execute(kRevokeUserFamilies, {user_id, now});
    s.execute(kRevokeUserTokens, {user_id, now});
  });
}

}  // namespace emporium::users
