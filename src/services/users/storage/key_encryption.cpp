#include "services/users/storage/key_encryption.hpp"

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace emporium::users {
namespace {

constexpr std::string_view kPrefix = "sealed:v1:";
constexpr std::size_t kKeyBytes = crypto_secretbox_KEYBYTES;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Exactly `out.size()` bytes decoded by one of libsodium's decoders.
template <class Decode>
bool decodeExactly(std::array<unsigned char, kKeyBytes>& out, Decode decode) {
  std::size_t length = 0;
  return decode(length) == 0 && length == out.size();
}

}  // namespace

std::optional<KeyEncryptionKey> KeyEncryptionKey::parse(std::string_view text) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  text = trim(text);
  KeyEncryptionKey kek;
  auto& key = kek.key_;
  if (text.size() == 2 * kKeyBytes && decodeExactly(key, [&](std::size_t& length) {
        return sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), nullptr, &length,
                              nullptr);
      })) {
    return kek;
  }
  for (const int variant :
       {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    if (decodeExactly(key, [&](std::size_t& length) {
          const char* end = nullptr;
          const int rc = sodium_base642bin(key.data(), key.size(), text.data(), text.size(),
                                           nullptr, &length, &end, variant);
          return rc == 0 && end == text.data() + text.size() ? 0 : -1;
        })) {
      return kek;
    }
  }
  return std::nullopt;
}

std::string KeyEncryptionKey::seal(std::string_view plaintext) const {
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(bytes, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(bytes + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        bytes, key_.data());
  std::string out(sodium_base64_ENCODED_LEN(box.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, box.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return std::string(kPrefix) + out;
}

std::optional<std::string> KeyEncryptionKey::open(std::string_view sealed) const {
  if (!isSealed(sealed)) return std::nullopt;
  sealed.remove_prefix(kPrefix.size());
  std::string box(sealed.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(box.data()), box.size(), sealed.data(),
                        sealed.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return std::nullopt;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(box.data());
  std::string plain(length - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 bytes + crypto_secretbox_NONCEBYTES,
                                 length - crypto_secretbox_NONCEBYTES, bytes, key_.data()) != 0) {
    return std::nullopt;
  }
  return plain;
}

bool KeyEncryptionKey::isSealed(std::string_view stored) { return stored.starts_with(kPrefix); }

std::optional<KeyEncryptionKey> loadKeyEncryptionKey(const std::optional<std::string>& env_value,
                                                     const std::optional<std::string>& file) {
  if (env_value && !env_value->empty()) {
    auto kek = KeyEncryptionKey::parse(*env_value);
    if (!kek) {
      throw std::runtime_error(std::string(kKekEnv) +
                               " must be 32 bytes as base64 or 64 hex digits");
    }
    return kek;
  }
  if (!file || file->empty()) return std::nullopt;
  std::ifstream in(*file);
  if (!in) throw std::runtime_error("cannot read the key-encryption key file " + *file);
  std::ostringstream text;
  text << in.rdbuf();
  auto kek = KeyEncryptionKey::parse(text.str());
  if (!kek) {
    throw std::runtime_error("the key-encryption key file " + *file +
                             " must hold 32 bytes as base64 or 64 hex digits");
  }
  return kek;
}

}  // namespace emporium::users
