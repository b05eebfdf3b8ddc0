#pragma once
// The boundary to a card processor: charge a token, refund a charge. Outcomes
// are values; only a bug throws. Implemented over HTTP (HttpCardProvider) and
// by fakes in tests.

#include <cstdint>
#include <string>
#include <vector>

namespace emporium::payments {

enum class ProviderStatus : std::uint8_t {
  kApproved,
  kDeclined,           // 402 card_declined
  kInsufficientFunds,  // 402 insufficient_funds
  kInvalidToken,       // 400/404: the token is unknown or unusable
  kUnavailable,        // no usable answer: the charge may or may not exist
};

struct ProviderCharge {
  ProviderStatus status = ProviderStatus::kUnavailable;
  std::string charge_id;  // kApproved
  std::string brand;      // kApproved
  std::string last4;      // kApproved
  std::string detail;     // why, for logs and the buyer's problem document
  /// kInvalidToken because the token is bound to another customer (the
  /// provider said so, not merely "unusable").
  bool bound_to_another_customer = false;
};

enum class ProviderRefundStatus : std::uint8_t {
  kRefunded,
  kNoSuchCharge,  // nothing was ever charged under that key
  kUnavailable,
  kTooLarge,  // the amount is more than what is left of the charge: nothing refunded
};

struct ProviderRefund {
  ProviderRefundStatus status = ProviderRefundStatus::kUnavailable;
  std::string refund_id;
  std::string charge_id;
  std::string detail;
  std::int64_t amount = 0;  // kRefunded: what this refund gave back (0: not said)
};

/// One refund of a charge as the provider lists it.
struct ProviderRefundEntry {
  std::string id;
  std::string idempotency_key;
  std::int64_t amount = 0;
};

enum class ProviderChargeLookup : std::uint8_t {
  kFound,
  kNoSuchCharge,  // nothing was charged under that key
  kUnavailable,   // no usable answer (or this provider cannot be asked)
};

/// A charge as the provider sees it now.
struct ProviderChargeState {
  ProviderChargeLookup lookup = ProviderChargeLookup::kUnavailable;
  bool refunded = false;  // kFound: refunded in full at the provider (by anyone)
  std::string refund_id;  // when refunded and the provider names it
  std::string detail;
  std::int64_t amount_refunded = 0;          // kFound: all refunds together
  std::vector<ProviderRefundEntry> refunds;  // kFound, when the provider lists them
};

class CardProvider {
 public:
  virtual ~CardProvider() = default;
  /// Charges amount (minor units) to the token for `customer` (the payer,
  /// "user:..." or "cart:..."; a token bound to another customer is
  /// kInvalidToken). The provider keeps one charge per idempotency key:
  /// calling again with the same key never charges twice.
  virtual ProviderCharge charge(const std::string& token, std::int64_t amount,
                                const std::string& currency, const std::string& idempotency_key,
                                const std::string& customer) = 0;
  /// Refunds `amount` (minor units; 0: all that is left) of the charge made
  /// under charge_idempotency_key (which also covers a charge whose answer
  /// was lost). A charge may be refunded in several parts, never above its
  /// amount (kTooLarge). Idempotent per refund key.
  virtual ProviderRefund refund(const std::string& charge_idempotency_key,
                                const std::string& refund_idempotency_key, std::int64_t amount) = 0;
  /// The charge made under the key as the provider knows it now, so refunds
  /// made at the provider (its console or API, not through us) come to light.
  /// One attempt, no retries: reconciliation asks again on its next pass.
  virtual ProviderChargeState chargeState(const std::string& /*charge_idempotency_key*/) {
    return {ProviderChargeLookup::kUnavailable, false, {}, "this provider cannot be asked"};
  }
};

}  // namespace emporium::payments
