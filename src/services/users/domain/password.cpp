#include "services/users/domain/password.hpp"

#include <crypt.h>
#include <sodium.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace emporium::users {
namespace {

// OWASP's argon2id baseline (m=19 MiB, t=2, p=1): about 50-60 ms per hash on one
// core of a small server, so login costs an attacker real work while 8
// concurrent hashes need under 160 MiB.
constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19ULL * 1024 * 1024;

bool isBcrypt(const std::string& hash) {
  return hash.size() == 60 &&
         (hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$"));
}

bool verifyBcrypt(std::string_view password, const std::string& stored) {
  // crypt_rn wants NUL-terminated input; a password holding NUL can't match.
  if (password.find('\0') != std::string_view::npos) return false;
  const std::string pw(password);
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(pw.c_str(), stored.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') return false;
  const std::string_view computed(out);
  return computed.size() == stored.size() &&
         sodium_memcmp(computed.data(), stored.data(), stored.size()) == 0;
}

}  // namespace

std::string hashPassword(std::string_view password) {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return out.data();
}

bool verifyPassword(std::string_view password, const std::string& stored_hash) {
  if (stored_hash.starts_with("$argon2id$")) {
    return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
  }
  if (isBcrypt(stored_hash)) return verifyBcrypt(password, stored_hash);
  return false;
}

bool needsRehash(const std::string& stored_hash) {
  if (!stored_hash.starts_with("$argon2id$")) return true;
  return crypto_pwhash_str_needs_rehash(stored_hash.c_str(), kOpsLimit, kMemLimit) != 0;
}

const std::string& decoyHash() {
  // Immutable after first use; C++ guarantees thread-safe initialisation.
  static const std::string hash = [] {
    std::array<unsigned char, 32> random{};
    randombytes_buf(random.data(), random.size());
    return hashPassword(
        std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  }();
  return hash;
}

}  // namespace emporium::users
