#pragma once
// Refresh tokens: opaque, stored only as SHA-256, rotated on every use.

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "core/sql/database.hpp"

namespace emporium::users {

struct IssuedRefreshToken {
  std::string token;  // shown to the client once, never stored
  std::string family_id;
};

enum class RefreshFailure {
  kUnknown,  // no such token, expired, or revoked
  kReused,   // already rotated: the family is now revoked
};

struct RotatedRefreshToken {
  std::string user_id;
  IssuedRefreshToken next;
};

class TokenStore {
 public:
  TokenStore(sql::Database& db, std::chrono::seconds lifetime) : db_(db), lifetime_(lifetime) {}

  /// A new token starting a new family (a sign-in).
  IssuedRefreshToken issue(const std::string& user_id);
  /// Marks token used and issues its successor in the same family, in one
  /// transaction. Presenting a used token revokes the whole family.
  std::variant<RotatedRefreshToken, RefreshFailure> rotate(const std::string& token);
  /// Revokes the family of token (logout); unknown tokens are ignored.
  void revokeFamilyOf(const std::string& token);
  /// Revokes every token of a user (password change).
  void revokeAllOf(const std::string& user_id);

 private:
  sql::Database& db_;
  std::chrono::seconds lifetime_;
};

}  // namespace emporium::users
