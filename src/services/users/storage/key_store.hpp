#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/sql/database.hpp"
#include "services/users/domain/jwt.hpp"

namespace emporium::users {

/// A row of signing_keys. Times are seconds since the epoch (stored as
/// fixed-width RFC 3339 text).
struct StoredKey {
  Ed25519Key key;  // with its secret half
  std::int64_t created_at = 0;
  std::optional<std::int64_t> retired_at;  // set: no longer signs
};

/// The token signing keys, shared by every process of the users service.
class KeyStore {
 public:
  explicit KeyStore(sql::Database& db) : db_(db) {}

  /// Every key, oldest first (by created_at, then kid). Throws sql::Error,
  /// kType for a row that does not hold a well-formed key.
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
};

}  // namespace emporium::users
