#include "services/users/storage/key_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace emporium::users {
namespace {

constexpr sql::Query kSelectKeys{
    "signing_keys.all",
    "SELECT kid, public_key, secret_key, created_at, retired_at FROM signing_keys"};

constexpr sql::Query kInsertKey{
    "signing_keys.insert",
    "INSERT INTO signing_keys (kid, public_key, secret_key, created_at) VALUES ($1, $2, $3, $4)"};

// Conditional on the row still being clear: two processes sealing at once
// both succeed, and the second changes nothing.
constexpr sql::Query kSealKey{
    "signing_keys.seal",
    "UPDATE signing_keys SET secret_key = $2 WHERE kid = $1 AND secret_key = $3"};

constexpr sql::Query kRetireKey{
    "signing_keys.retire",
    "UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL"};

constexpr sql::Query kDeleteRetired{
    "signing_keys.delete_retired",
    "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1"};

constexpr int kBase64 = sodium_base64_VARIANT_ORIGINAL;

// The users table's format ("2026-11-26T03:01:02.000000Z"): fixed width, so
// times compare as text on both backends.
std::string formatTime(std::int64_t seconds) {
  using std::chrono::days;
  const std::chrono::sys_seconds time{std::chrono::seconds{seconds}};
  const auto day = std::chrono::floor<days>(time);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{time - day};
  char out[40];
  const int n = std::snprintf(
      out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.000000Z", static_cast<int>(date.year()),
      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()));
  return {out, static_cast<std::size_t>(n)};
}

[[noreturn]] void throwCorrupt(std::string_view kid, std::string_view what) {
  throw sql::Error(sql::ErrorKind::kType, "signing_keys: key " + std::string(kid) +
                                              " has a malformed " + std::string(what));
}

// The digits of text[pos, pos + width) as a number; -1 when any is not a digit.
int digitsAt(std::string_view text, std::size_t pos, std::size_t width) {
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Whole seconds of a time in formatTime's shape (any fraction is dropped).
std::int64_t parseTime(std::string_view kid, std::string_view text) {
  constexpr std::string_view kShape = "0000-00-00T00:00:00";
  bool shaped = text.size() >= kShape.size() + 1 && text.back() == 'Z';
  for (std::size_t i = 0; shaped && i < kShape.size(); ++i) {
    shaped = kShape[i] == '0' ? (text[i] >= '0' && text[i] <= '9') : text[i] == kShape[i];
  }
  if (!shaped) throwCorrupt(kid, "time");
  const std::chrono::year_month_day date{
      std::chrono::year{digitsAt(text, 0, 4)},
      std::chrono::month{static_cast<unsigned>(digitsAt(text, 5, 2))},
      std::chrono::day{static_cast<unsigned>(digitsAt(text, 8, 2))}};
  const int hour = digitsAt(text, 11, 2);
  const int minute = digitsAt(text, 14, 2);
  const int second = digitsAt(text, 17, 2);
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) throwCorrupt(kid, "time");
  const auto time = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                    std::chrono::minutes{minute} + std::chrono::seconds{second};
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::string encode(const unsigned char* bytes, std::size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, kBase64), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, kBase64);
  out.resize(std::strlen(out.c_str()));
  return out;
}

template <std::size_t N>
std::array<unsigned char, N> decode(std::string_view kid, const std::string& text,
                                    std::string_view what) {
  std::array<unsigned char, N> out{};
  std::size_t length = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, nullptr,
                        kBase64) != 0 ||
      length != N) {
    throwCorrupt(kid, what);
  }
  return out;
}

// A row's secret key in base64: opened with the KEK when sealed.
std::string clearSecret(std::string_view kid, const std::string& stored,
                        const std::optional<KeyEncryptionKey>& kek) {
  if (!KeyEncryptionKey::isSealed(stored)) return stored;
  if (!kek) {
    throw std::runtime_error("signing key " + std::string(kid) +
                             " is sealed: set EMPORIUM_KEY_ENCRYPTION_KEY or "
                             "EMPORIUM_KEY_ENCRYPTION_KEY_FILE to the key it was sealed with");
  }
  auto clear = kek->open(stored);
  if (!clear) {
    throw std::runtime_error("signing key " + std::string(kid) +
                             " does not open with the key-encryption key given (another key?)");
  }
  return std::move(*clear);
}

StoredKey readKey(const sql::Row& row, const std::optional<KeyEncryptionKey>& kek) {
  StoredKey stored;
  stored.key.kid = row.getText(0);
  const std::string& kid = stored.key.kid;
  stored.key.public_key = decode<crypto_sign_PUBLICKEYBYTES>(kid, row.getText(1), "public key");
  std::string secret = clearSecret(kid, row.getText(2), kek);
  stored.key.secret_key = decode<crypto_sign_SECRETKEYBYTES>(kid, secret, "secret key");
  sodium_memzero(secret.data(), secret.size());
  // libsodium's secret key ends with its public key: a mismatch is a corrupt row.
  if (!std::equal(stored.key.public_key.begin(), stored.key.public_key.end(),
                  stored.key.secret_key->begin() + crypto_sign_SEEDBYTES)) {
    throwCorrupt(kid, "key pair");
  }
  stored.created_at = parseTime(kid, row.getText(3));
  if (const auto retired = row.getOptionalText(4)) stored.retired_at = parseTime(kid, *retired);
  return stored;
}

}  // namespace

std::vector<StoredKey> KeyStore::all() {
  std::vector<std::pair<std::string, std::string>> clear;  // kid, stored secret
  std::vector<StoredKey> keys = db_.read([&](sql::Session& s) {
    std::vector<StoredKey> out;
    for (const sql::Row& row : s.execute(kSelectKeys)) {
      out.push_back(readKey(row, kek_));
      if (kek_ && !KeyEncryptionKey::isSealed(row.getText(2))) {
        clear.emplace_back(row.getText(0), row.getText(2));
      }
    }
    return out;
  });
  // Keys written before a KEK was configured: sealed on the first read with one.
  if (!clear.empty()) {
    db_.write([&](sql::Session& s) {
      for (const auto& [kid, secret] : clear) {
        s.execute(kSealKey, {kid, kek_->seal(secret), secret});
      }
    });
  }
  // Sorted here rather than by ORDER BY: PostgreSQL would order text by the
  // database's collation, and every process must agree on which key is newest.
  std::sort(keys.begin(), keys.end(), [](const StoredKey& a, const StoredKey& b) {
    return std::tie(a.created_at, a.key.kid) < std::tie(b.created_at, b.key.kid);
  });
  return keys;
}

void KeyStore::insert(const Ed25519Key& key, std::int64_t created_at) {
  if (!key.secret_key) {
    throw std::invalid_argument("KeyStore::insert: key " + key.kid + " has no secret half");
  }
  const std::string public_key = encode(key.public_key.data(), key.public_key.size());
  const std::string clear = encode(key.secret_key->data(), key.secret_key->size());
  const std::string secret_key = kek_ ? kek_->seal(clear) : clear;
  const std::string created = formatTime(created_at);
  db_.write([&](sql::Session& s) {
    s.execute(kInsertKey, {key.kid, public_key, secret_key, created});
  });
}

void KeyStore::retire(std::string_view kid, std::int64_t at) {
  const std::string retired = formatTime(at);
  db_.write([&](sql::Session& s) { s.execute(kRetireKey, {kid, retired}); });
}

std::int64_t KeyStore::deleteRetiredBefore(std::int64_t at) {
  const std::string cutoff = formatTime(at);
  return db_.write(
      [&](sql::Session& s) { return s.execute(kDeleteRetired, {cutoff}).affectedRows(); });
}

}  // namespace emporium::users
