#pragma once
// Storage of the sign-in guard: failed attempts per scope in a sliding
// window (core/ratelimit/failed_attempts.hpp), and the key that signs device
// cookies. Shared by every process of the users service through its database.

#include <optional>
#include <string>
#include <utility>

#include "core/ratelimit/failed_attempts.hpp"
#include "core/sql/database.hpp"
#include "services/users/storage/key_encryption.hpp"

namespace emporium::users {

class SignInStore {
 public:
  /// With a KEK the device-cookie key is stored sealed (see KeyStore).
  explicit SignInStore(sql::Database& db, std::optional<KeyEncryptionKey> kek = std::nullopt)
      : db_(db), kek_(std::move(kek)), failures_(db, "sign_in") {}

  /// Failed sign-ins per scope (tables sign_in_failures and sign_in_scopes).
  ratelimit::FailureLedger& failures() { return failures_; }

  /// The device-cookie key (32 bytes), made and stored on the first call.
  /// Throws std::runtime_error when it is sealed and no (or another) KEK is given.
  std::string deviceKey();

 private:
  sql::Database& db_;
  std::optional<KeyEncryptionKey> kek_;
  ratelimit::FailureLedger failures_;
};

}  // namespace emporium::users
