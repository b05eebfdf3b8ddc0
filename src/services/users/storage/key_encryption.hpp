#pragma once
// Secrets at rest: the signing keys (and the device-cookie key) are sealed
// with a key-encryption key (KEK) that lives outside the database, so a copy
// of users.db or a database dump alone mints no tokens. libsodium secretbox
// (XSalsa20-Poly1305), a fresh random nonce per seal.

#include <sodium.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::users {

class KeyEncryptionKey {
 public:
  /// 32 bytes given as base64 (standard or URL-safe, padded or not) or as 64
  /// hex digits; surrounding whitespace is ignored. nullopt for anything else.
  static std::optional<KeyEncryptionKey> parse(std::string_view text);

  KeyEncryptionKey(const KeyEncryptionKey&) = default;
  KeyEncryptionKey& operator=(const KeyEncryptionKey&) = default;
  ~KeyEncryptionKey() { sodium_memzero(key_.data(), key_.size()); }

  /// "sealed:v1:" + base64(nonce || box).
  std::string seal(std::string_view plaintext) const;
  /// The plaintext of seal()'s output; nullopt when it was sealed with
  /// another key, or was altered.
  std::optional<std::string> open(std::string_view sealed) const;
  /// Whether a stored value is sealed (else it is a clear legacy value).
  static bool isSealed(std::string_view stored);

 private:
  KeyEncryptionKey() = default;
  std::array<unsigned char, crypto_secretbox_KEYBYTES> key_{};
};

/// The environment variable holding a KEK, and the one naming a file holding one.
inline constexpr const char* kKekEnv = "EMPORIUM_KEY_ENCRYPTION_KEY";

/// The KEK from `env_value` (EMPORIUM_KEY_ENCRYPTION_KEY) or else from the
/// file `file`; nullopt when neither is given. Throws std::runtime_error
/// naming the source when one is given but unreadable or malformed.
std::optional<KeyEncryptionKey> loadKeyEncryptionKey(const std::optional<std::string>& env_value,
                                                     const std::optional<std::string>& file);

}  // namespace emporium::users
