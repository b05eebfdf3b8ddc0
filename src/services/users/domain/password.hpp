#pragma once

#include <string>
#include <string_view>

namespace emporium::users {

/// argon2id via libsodium, in its self-describing string format (algorithm,
/// parameters and salt travel with the hash, so parameters can change later).
std::string hashPassword(std::string_view password);

/// Constant-time verification against a stored hashPassword() string.
bool verifyPassword(std::string_view password, const std::string& stored_hash);

}  // namespace emporium::users
