#include "services/users/storage/sign_in_store.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace emporium::users {
namespace {

constexpr sql::Query kInsertCookieKey{
    "device_cookie_key.insert",
    "INSERT INTO device_cookie_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING"};

constexpr sql::Query kSelectCookieKey{"device_cookie_key.select",
                                      "SELECT secret FROM device_cookie_key WHERE id = 1"};

constexpr sql::Query kSealCookieKey{
    "device_cookie_key.seal",
    "UPDATE device_cookie_key SET secret = $1 WHERE id = 1 AND secret = $2"};

constexpr int kCookieKeyBase64 = sodium_base64_VARIANT_ORIGINAL;

}  // namespace

std::string SignInStore::deviceKey() {
  std::array<unsigned char, 32> fresh{};
  randombytes_buf(fresh.data(), fresh.size());
  std::array<char, sodium_base64_ENCODED_LEN(32, kCookieKeyBase64)> text{};
  sodium_bin2base64(text.data(), text.size(), fresh.data(), fresh.size(), kCookieKeyBase64);
  const std::string fresh_text = kek_ ? kek_->seal(text.data()) : std::string(text.data());
  sodium_memzero(fresh.data(), fresh.size());
  sodium_memzero(text.data(), text.size());
  const auto stored = db_.write([&](sql::Session& s) {
    s.execute(kInsertCookieKey, {fresh_text});
    return s.execute(kSelectCookieKey)[0].getText(0);
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
    db_.write([&](sql::Session& s) { s.execute(kSealCookieKey, {sealed, stored}); });
  }
  std::string key(32, '\0');
  std::size_t length = 0;
  const bool ok =
      sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), clear.data(),
                        clear.size(), nullptr, &length, nullptr, kCookieKeyBase64) == 0 &&
      length == key.size();
  sodium_memzero(clear.data(), clear.size());
  if (!ok) {
    throw sql::Error(sql::ErrorKind::kType, "device_cookie_key.secret is not 32 bytes of base64");
  }
  return key;
}

}  // namespace emporium::users
