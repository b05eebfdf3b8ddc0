#include "services/payments/domain/gift_card_guard.hpp"

#include <utility>
#include <vector>

#include "core/sql/migrations.hpp"

namespace emporium::payments {

GiftCardGuard::GiftCardGuard(ratelimit::FailureLedger& ledger, GiftCardLimits limits,
                             ratelimit::FailedAttempts::Clock clock)
    : limits_(limits), attempts_(ledger, limits.window, std::move(clock)) {}

std::variant<ratelimit::AttemptAdmission, ratelimit::AttemptRefusal> GiftCardGuard::admit(
    const std::string& payer, const std::string& address) {
  // Hashed: the tables need no personal data to count.
  std::vector<ratelimit::ScopeLimit> scopes;
  if (!payer.empty()) scopes.push_back({"payer:" + sql::sha256Hex(payer), limits_.max_per_payer});
  if (!address.empty()) {
    scopes.push_back({"address:" + sql::sha256Hex(address), limits_.max_per_address});
  }
  return attempts_.admit(std::move(scopes));
}

}  // namespace emporium::payments
