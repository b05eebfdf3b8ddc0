#include "core/util/email_address.hpp"

namespace emporium::util {
namespace {

constexpr std::size_t kMaxAddress = 254;  // RFC 5321 path limit
constexpr std::size_t kMaxLocalPart = 64;
constexpr std::string_view kSpecials = "()<>[]:;@\\,\"";

// A dot-atom (RFC 5322 3.2.3): atoms joined by single dots.
bool isDotAtom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  if (text.find("..") != std::string_view::npos) return false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || kSpecials.find(c) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> emailAddressProblem(std::string_view address) {
  if (address.empty()) return "is required";
  if (address.size() > kMaxAddress) return "must be at most 254 characters";
  for (const char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return "must not contain spaces or control characters";
  }
  const auto at = address.find('@');
  if (at == std::string_view::npos || at != address.rfind('@')) {
    return "must be a valid email address";
  }
  const auto local = address.substr(0, at);
  const auto domain = address.substr(at + 1);
  if (local.size() > kMaxLocalPart || !isDotAtom(local) || !isDotAtom(domain) ||
      domain.size() < 3 || domain.find('.') == std::string_view::npos) {
    return "must be a valid email address";
  }
  return std::nullopt;
}

}  // namespace emporium::util
