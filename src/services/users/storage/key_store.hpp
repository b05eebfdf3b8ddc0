#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/sql/database.hpp"
#include "services/users/domain/jwt.hpp"
#include "services/users/storage/key_encryption.hpp"

namespace emporium::users {

/// A row of signing_keys. Times are seconds since the epoch (stored as
/// fixed-width RFC 3339 text).
struct StoredKey {
  Ed25519Key key;  // with its secret half
  std::int64_t created_at = 0;
  std::optional<std::int64_t> retired_at;  // set: no longer signs
};

/// The token signing keys, shared by every process of the users service.
/// With a key-encryption key, secret halves are stored sealed, and keys found
/// in clear (written before there was one) are sealed as they are read.
/// Without one, keys are stored in clear (the caller warns about that).
class KeyStore {
 public:
  explicit KeyStore(sql::Database& db, std::optional<KeyEncryptionKey> kek = std::nullopt)
      : db_(db), kek_(std::move(kek)) {}

  /// Every key, oldest first (by created_at, then kid). Throws sql::Error,
  /// kType for a row that does not hold a well-formed key, and
  /// std::runtime_error for a sealed key without the right KEK.
  std::vector<StoredKey> all();
  /// Adds a key, which must have its secret half; throws sql::Error
  /// (kUniqueViolation when the kid exists).
  void insert(const Ed25519Key& key, std::int64_t created_at);
  /// Marks a key retired at `at`. A key already retired keeps its first time.
  void retire(std::string_view kid, std::int64_t at);
  /// Deletes the keys retired before `at`; returns how many.
  std::int64_t deleteRetiredBefore(std::int64_t at);

 private:
  sql::Database& db_;
  std::optional<KeyEncryptionKey> kek_;
};

}  // namespace emporium::users
