#include "services/payments/domain/customer_binding.hpp"

#include <sodium.h>

#include <array>

namespace emporium::payments {
namespace {

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

Mac macOf(std::string_view payer, std::string_view secret) {
  std::array<unsigned char, crypto_auth_hmacsha256_KEYBYTES> key{};
  static_assert(crypto_hash_sha256_BYTES == crypto_auth_hmacsha256_KEYBYTES);
  crypto_hash_sha256(key.data(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  Mac mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(payer.data()),
                         payer.size(), key.data());
  sodium_memzero(key.data(), key.size());
  return mac;
}

}  // namespace

std::string bindCustomer(std::string_view payer, std::string_view secret) {
  const Mac mac = macOf(payer, secret);
  std::array<char, crypto_auth_hmacsha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  return std::string(payer) + "." + hex.data();
}

std::optional<std::string> boundCustomer(std::string_view binding, std::string_view secret) {
  const auto dot = binding.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const std::string_view payer = binding.substr(0, dot);
  const std::string_view hex = binding.substr(dot + 1);
  if (hex.size() != crypto_auth_hmacsha256_BYTES * 2) return std::nullopt;
  Mac given{};
  std::size_t length = 0;
  if (sodium_hex2bin(given.data(), given.size(), hex.data(), hex.size(), nullptr, &length,
                     nullptr) != 0 ||
      length != given.size()) {
    return std::nullopt;
  }
  const Mac expected = macOf(payer, secret);
  if (sodium_memcmp(given.data(), expected.data(), given.size()) != 0) return std::nullopt;
  return std::string(payer);
}

}  // namespace emporium::payments
