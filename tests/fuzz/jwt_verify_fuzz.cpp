// libFuzzer target: arbitrary bytes as a bearer token. verifyJwt must return
// an error for every one of them (the fuzzer holds no signing key), and never
// throw or crash.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "services/users/domain/jwt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace emporium::users;
  static const Ed25519Key key = generateEd25519Key("key_fuzz");
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const auto result = verifyJwt(
      token, [](std::string_view kid) { return kid == key.kid ? &key : nullptr; }, 1'800'000'000);
  if (std::holds_alternative<AccessClaims>(result)) std::abort();  // a forgery was accepted
  return 0;
}
