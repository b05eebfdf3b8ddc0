#pragma once
// Password hashing. New hashes are argon2id (libsodium); bcrypt hashes
// imported from another shop ($2a$/$2b$/$2y$) are verified with libxcrypt
// and replaced by argon2id at the next successful sign-in.

#include <string>
#include <string_view>

namespace emporium::users {

/// argon2id in libsodium's self-describing string format (algorithm,
/// parameters and salt travel with the hash, so parameters can change later).
std::string hashPassword(std::string_view password);

/// Constant-time verification against a stored argon2id or bcrypt hash.
/// False for a wrong password and for a hash in no known format.
bool verifyPassword(std::string_view password, const std::string& stored_hash);

/// True when the stored hash is not argon2id with today's parameters.
bool needsRehash(const std::string& stored_hash);

/// A valid argon2id hash of a random password, made once per process: login
/// verifies against it when the email is unknown, so that both cases take
/// the same time and reveal nothing about which accounts exist.
const std::string& decoyHash();

}  // namespace emporium::users
