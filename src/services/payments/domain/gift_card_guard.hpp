#pragma once
// Guessing gift-card codes at checkout is capped by failed attempts, not only
// by the general request limit: wrong codes are counted per payer (a
// customer, or a guest's cart) and per client address in a sliding window
// (core/ratelimit/failed_attempts.hpp, tables gift_card_failures and
// gift_card_scopes), and once either is over its cap every gift-card attempt
// of that payer or address is refused, a right code included, until the
// oldest failure leaves the window. A redemption whose code was right (even
// with too low a balance) is no failure. Per address as well as per payer,
// since a guest can make a new cart for every guess.

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "core/ratelimit/failed_attempts.hpp"

namespace emporium::payments {

/// The caps (config [limits] gift_card_*). The defaults let a buyer mistype a
/// code a few times an hour, and a shared address (an office, a carrier's
/// NAT) hold a few buyers doing so, while a guesser gets 20 codes an hour per
/// address: against codes of ~100 random bits, nothing.
struct GiftCardLimits {
  bool enabled = true;  // false with EMPORIUM_RATE_LIMITS=off
  std::chrono::seconds window{3600};
  std::int64_t max_per_payer = 5;
  std::int64_t max_per_address = 20;
};

class GiftCardGuard {
 public:
  /// ledger: over the payments database's gift_card_* tables.
  GiftCardGuard(ratelimit::FailureLedger& ledger, GiftCardLimits limits,
                ratelimit::FailedAttempts::Clock clock = ratelimit::FailedAttempts::systemClock());

  /// Counts the attempt as a failure of its payer and address before the code
  /// is looked up, or refuses it. An empty payer or address is not counted.
  std::variant<ratelimit::AttemptAdmission, ratelimit::AttemptRefusal> admit(
      const std::string& payer, const std::string& address);
  /// The code was right: the attempt was no failure.
  void succeeded(const ratelimit::AttemptAdmission& admission) { attempts_.succeeded(admission); }

  const GiftCardLimits& limits() const { return limits_; }

 private:
  GiftCardLimits limits_;
  ratelimit::FailedAttempts attempts_;
};

}  // namespace emporium::payments
