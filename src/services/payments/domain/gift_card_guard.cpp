#include "services/payments/domain/gift_card_guard.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/sql/migrations.hpp"

namespace emporium::payments {
namespace {

// One IPv6 client holds a whole /64 (the smallest prefix a provider hands
// out), so counting per address would give it 2^64 fresh budgets: IPv6
// addresses count per /64. IPv4 (and IPv4-mapped) addresses count as they are.
std::string addressGroup(const std::string& address) {
  in6_addr parsed{};
  if (address.find(':') == std::string::npos ||
      ::inet_pton(AF_INET6, address.c_str(), &parsed) != 1 || IN6_IS_ADDR_V4MAPPED(&parsed)) {
    return address;
  }
  const std::span<std::uint8_t, sizeof(parsed.s6_addr)> bytes(parsed.s6_addr);
  std::fill(bytes.begin() + 8, bytes.end(), std::uint8_t{0});
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_ntop(AF_INET6, &parsed, text.data(), text.size()) == nullptr) return address;
  return std::string(text.data()) + "/64";
}

}  // namespace

GiftCardGuard::GiftCardGuard(ratelimit::FailureLedger& ledger, GiftCardLimits limits,
                             ratelimit::FailedAttempts::Clock clock)
    : limits_(limits), attempts_(ledger, limits.window, std::move(clock)) {}

std::variant<ratelimit::AttemptAdmission, ratelimit::AttemptRefusal> GiftCardGuard::admit(
    const std::string& payer, const std::string& address) {
  // Hashed: the tables need no personal data to count.
  std::vector<ratelimit::ScopeLimit> scopes;
  if (!payer.empty()) scopes.push_back({"payer:" + sql::sha256Hex(payer), limits_.max_per_payer});
  if (!address.empty()) {
    scopes.push_back({"address:" + sql::sha256Hex(addressGroup(address)), limits_.max_per_address});
  }
  return attempts_.admit(std::move(scopes));
}

}  // namespace emporium::payments
