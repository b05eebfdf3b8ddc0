#pragma once
// Storage of the sign-in guard: failed attempts per scope in a sliding
// window, and the key that signs device cookies. Shared by every process of
// the users service through its database.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sql/database.hpp"
#include "services/users/storage/key_encryption.hpp"

namespace emporium::users {

/// A scope an attempt counts against, and how many failures it may hold.
struct ScopeLimit {
  std::string scope;
  std::int64_t max_failures = 0;
};

/// Failures of one scope inside the window, counting the attempt just made.
struct ScopeCount {
  std::string scope;
  std::int64_t failures = 0;
  std::int64_t oldest_at = 0;  // seconds since the epoch, of the oldest counted failure
};

class SignInStore {
 public:
  /// With a KEK the device-cookie key is stored sealed (see KeyStore).
  explicit SignInStore(sql::Database& db, std::optional<KeyEncryptionKey> kek = std::nullopt)
      : db_(db), kek_(std::move(kek)) {}

  /// Records attempt_id as a failure of every scope at `at` and counts each
  /// scope's failures after `since`, in one transaction serialised per scope:
  /// of attempts racing on a scope, each sees those before it. When a count
  /// exceeds its scope's max_failures the attempt's rows are removed again (a
  /// refused attempt is no guess); the counts are returned either way.
  std::vector<ScopeCount> reserve(const std::string& attempt_id, std::vector<ScopeLimit> scopes,
                                  std::int64_t at, std::int64_t since);
  /// Deletes an attempt's rows: it succeeded, so it was no failed guess.
  void release(const std::string& attempt_id);
  /// Deletes failures at or before `cutoff`, and scopes left without any.
  void purge(std::int64_t cutoff);

  /// The device-cookie key (32 bytes), made and stored on the first call.
  /// Throws std::runtime_error when it is sealed and no (or another) KEK is given.
  std::string deviceKey();

 private:
  sql::Database& db_;
  std::optional<KeyEncryptionKey> kek_;
};

}  // namespace emporium::users
