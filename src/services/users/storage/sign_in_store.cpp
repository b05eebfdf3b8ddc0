#include "services/users/storage/sign_in_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

namespace emporium::users {
namespace {

// A no-op upsert: creates the scope's row or takes its row lock, which the
// transaction holds until it commits (SQLite's single writer serialises anyway).
constexpr sql::Query kLockScope{"sign_in_scopes.lock",
                                "INSERT INTO sign_in_scopes (scope) VALUES ($1) "
                                "ON CONFLICT (scope) DO UPDATE SET scope = excluded.scope"};

constexpr sql::Query kInsertFailure{
    "sign_in_failures.insert",
    "INSERT INTO sign_in_failures (attempt_id, scope, failed_at) VALUES ($1, $2, $3)"};

constexpr sql::Query kCount{"sign_in_failures.count",
                            "SELECT COUNT(*), COALESCE(MIN(failed_at), 0) FROM sign_in_failures "
                            "WHERE scope = $1 AND failed_at > $2"};

constexpr sql::Query kRelease{"sign_in_failures.release",
                              "DELETE FROM sign_in_failures WHERE attempt_id = $1"};

constexpr sql::Query kPurgeFailures{"sign_in_failures.purge",
                                    "DELETE FROM sign_in_failures WHERE failed_at <= $1"};

constexpr sql::Query kPurgeScopes{
    "sign_in_scopes.purge",
    "DELETE FROM sign_in_scopes WHERE NOT EXISTS "
    "(SELECT 1 FROM sign_in_failures f WHERE f.scope = sign_in_scopes.scope)"};

constexpr sql::Query kInsertKey{
    "device_cookie_key.insert",
    "INSERT INTO device_cookie_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING"};

constexpr sql::Query kSelectKey{"device_cookie_key.select",
                                "SELECT secret FROM device_cookie_key WHERE id = 1"};

constexpr sql::Query kSealKey{
    "device_cookie_key.seal",
    "UPDATE device_cookie_key SET secret = $1 WHERE id = 1 AND secret = $2"};

constexpr int kBase64 = sodium_base64_VARIANT_ORIGINAL;

}  // namespace

std::vector<ScopeCount> SignInStore::reserve(const std::string& attempt_id,
                                             std::vector<ScopeLimit> scopes, std::int64_t at,
                                             std::int64_t since) {
  // One lock order for every transaction, so two attempts never deadlock.
  std::sort(scopes.begin(), scopes.end(),
            [](const ScopeLimit& a, const ScopeLimit& b) { return a.scope < b.scope; });
  return db_.write([&](sql::Session& s) {
    std::vector<ScopeCount> counts;
    bool over = false;
    for (const auto& [scope, max_failures] : scopes) {
      s.execute(kLockScope, {scope});
      s.execute(kInsertFailure, {attempt_id, scope, at});
      const auto rows = s.execute(kCount, {scope, since});
      counts.push_back({scope, rows[0].getInt64(0), rows[0].getInt64(1)});
      over = over || counts.back().failures > max_failures;
    }
    if (over) s.execute(kRelease, {attempt_id});
    return counts;
  });
}

void SignInStore::release(const std::string& attempt_id) {
  db_.write([&](sql::Session& s) { s.execute(kRelease, {attempt_id}); });
}

void SignInStore::purge(std::int64_t cutoff) {
  db_.write([&](sql::Session& s) {
    s.execute(kPurgeFailures, {cutoff});
    s.execute(kPurgeScopes);
  });
}

std::string SignInStore::deviceKey() {
  std::array<unsigned char, 32> fresh{};
  randombytes_buf(fresh.data(), fresh.size());
  std::array<char, sodium_base64_ENCODED_LEN(32, kBase64)> text{};
  sodium_bin2base64(text.data(), text.size(), fresh.data(), fresh.size(), kBase64);
  const std::string fresh_text = kek_ ? kek_->seal(text.data()) : std::string(text.data());
  sodium_memzero(fresh.data(), fresh.size());
  sodium_memzero(text.data(), text.size());
  const auto stored = db_.write([&](sql::Session& s) {
    s.execute(kInsertKey, {fresh_text});
    return s.execute(kSelectKey)[0].getText(0);
  });
  std::string clear = stored;
  if (KeyEncryptionKey::isSealed(stored)) {
    auto opened = kek_ ? kek_->open(stored) : std::nullopt;
    if (!opened) {
      throw std::runtime_error(
          "the device-cookie key is sealed: set EMPORIUM_KEY_ENCRYPTION_KEY or "
          "EMPORIUM_KEY_ENCRYPTION_KEY_FILE to the key it was sealed with");
    }
    clear = std::move(*opened);
  } else if (kek_) {
    // Stored before a KEK was configured: sealed now.
    const auto sealed = kek_->seal(stored);
    db_.write([&](sql::Session& s) { s.execute(kSealKey, {sealed, stored}); });
  }
  std::string key(32, '\0');
  std::size_t length = 0;
  const bool ok =
      sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), clear.data(),
                        clear.size(), nullptr, &length, nullptr, kBase64) == 0 &&
      length == key.size();
  sodium_memzero(clear.data(), clear.size());
  if (!ok) {
    throw sql::Error(sql::ErrorKind::kType, "device_cookie_key.secret is not 32 bytes of base64");
  }
  return key;
}

}  // namespace emporium::users
