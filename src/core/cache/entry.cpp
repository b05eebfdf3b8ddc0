#include "core/cache/entry.hpp"

#include <cstdint>

namespace emporium::cache {

std::string makeEtag(std::string_view body) {
  constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t hash = kOffsetBasis;
  for (const char c : body) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string etag(18, '"');
  for (int i = 16; i >= 1; --i) {
    etag[static_cast<std::size_t>(i)] = kHex[hash & 0xfU];
    hash >>= 4U;
  }
  return etag;
}

}  // namespace emporium::cache
