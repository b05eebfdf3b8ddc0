#pragma once
// The payments tables: payments, refunds, gift cards and their ledger. Every
// money movement on a gift card is one transaction with its ledger row and
// its payment row, and a debit is one conditional UPDATE (never read, then
// write), so concurrent debits can neither overdraw a card nor lose one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/sql/database.hpp"
#include "services/payments/client.hpp"

namespace emporium::payments {

/// Payment statuses as stored ("voided": a cash-on-delivery payment cancelled
/// before collection).
namespace status {
inline constexpr std::string_view kPending = "pending";
inline constexpr std::string_view kCaptured = "captured";
inline constexpr std::string_view kDeclined = "declined";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kRefunded = "refunded";
/// Never stored: a captured payment with refunded_amount > 0, as the client
/// interface reports it (see PaymentsService::forOrder).
inline constexpr std::string_view kPartiallyRefunded = "partially_refunded";
inline constexpr std::string_view kVoided = "voided";
}  // namespace status

/// Why a payment was declined or failed, as stored in decline_reason.
namespace reason {
inline constexpr std::string_view kCardDeclined = "card_declined";
inline constexpr std::string_view kInsufficientFunds = "insufficient_funds";
inline constexpr std::string_view kInvalidToken = "invalid_token";
inline constexpr std::string_view kUnknownGiftCard = "unknown_gift_card";
inline constexpr std::string_view kCurrencyMismatch = "currency_mismatch";
/// A card payment left pending by an unreachable provider that the provider,
/// asked later, never charged: the order was cancelled meanwhile.
inline constexpr std::string_view kAbandoned = "abandoned";
}  // namespace reason

/// A payment row with the columns the client interface does not show.
struct StoredPayment {
  Payment payment;
  std::string idempotency_key;
  std::optional<std::string> card_token;
  std::optional<std::string> gift_card_code;
  std::optional<std::string> provider_charge_id;
  std::optional<std::string> decline_reason;
};

struct NewPayment {
  std::string order_id;
  std::string idempotency_key;
  Method method = Method::kCard;
  std::int64_t amount = 0;
  std::string currency;
  std::optional<std::string> card_token;
  std::optional<std::string> gift_card_code;  // normalized (upper-case)
};

struct GiftCard {
  std::string code;
  std::int64_t balance = 0;
  std::string currency;
  std::string created_at;
  std::string updated_at;
};

/// "abc-123" -> "ABC-123": codes are matched case-insensitively.
std::string normalizeGiftCardCode(std::string_view code);

/// Who made a refund: the shop (through refund/refundPart), or someone at
/// the card provider, behind the shop's back (announced to orders).
enum class RefundOrigin : std::uint8_t { kShop, kProvider };

class PaymentStore {
 public:
  /// `outbox`: where refunds made at the card provider are announced
  /// (kProviderRefundEvent), in the transaction that records them.
  PaymentStore(sql::Database& db, const events::Outbox& outbox) : db_(db), outbox_(outbox) {}

  std::optional<StoredPayment> byIdempotencyKey(const std::string& key);
  /// The order's most recent payment.
  std::optional<StoredPayment> latestForOrder(const std::string& order_id);

  /// Inserts a row in `status_value` (with decline_reason, if any); when a row
  /// with that idempotency key exists already, returns that one unchanged.
  StoredPayment insertOrGet(const NewPayment& payment, std::string_view status_value,
                            std::optional<std::string_view> decline_reason = std::nullopt);

  /// pending -> captured with the provider's charge; false when the row was
  /// no longer pending (a refund gave it up meanwhile).
  bool markCaptured(const std::string& payment_id, const std::string& provider_charge_id,
                    const std::string& brand, const std::string& last4);
  /// from -> to (with a reason when given); false when the row was not in `from`.
  bool transition(const std::string& payment_id, std::string_view from, std::string_view to,
                  std::optional<std::string_view> decline_reason = std::nullopt);

  /// Debits a gift card and records the payment, in one transaction: captured
  /// when the card exists in that currency and holds enough, else a failed
  /// (unknown code, other currency) or declined (insufficient funds) payment
  /// and no debit. A payment that exists under the key already is returned
  /// as it is, and nothing is debited.
  StoredPayment debitGiftCard(const NewPayment& payment);

  /// from -> refunded plus a refunds row of what was left, and for a gift
  /// card that much credited back with its ledger row, in one transaction.
  /// False when the payment was not in `from` (refunded already, or changed
  /// meanwhile).
  /// With RefundOrigin::kProvider the same transaction announces the refund
  /// (kProviderRefundEvent, the amount that was left).
  bool markRefunded(const StoredPayment& payment, std::string_view from,
                    const std::optional<std::string>& provider_refund_id,
                    RefundOrigin origin = RefundOrigin::kShop);

  /// What recordRefund did.
  enum class RefundRecord : std::uint8_t {
    kRecorded,  // a new refund row; the running total grew by amount
    kReplayed,  // a refund under this key exists already: nothing changed
    kRefused,   // the payment is not refundable, or amount exceeds what is left
  };
  /// Adds a refund of `amount` under `key`: the payment's running total (and
  /// status: refunded once nothing is left, else still captured; a pending
  /// COD payment stays pending, or voided when nothing is left to collect) grows in one
  /// conditional UPDATE that never passes the payment's amount, with the
  /// refunds row and a gift card's credit in the same transaction.
  /// With RefundOrigin::kProvider a new refund is announced in the same
  /// transaction (kProviderRefundEvent).
  RefundRecord recordRefund(const StoredPayment& payment, const std::string& key,
                            std::int64_t amount,
                            const std::optional<std::string>& provider_refund_id,
                            RefundOrigin origin = RefundOrigin::kShop);
  bool refundExists(const std::string& key);
  /// Whether a refund of the payment already carries the provider's refund
  /// id (ours, or one recorded from the provider's listing).
  bool providerRefundKnown(const std::string& payment_id, const std::string& provider_refund_id);

  /// Captured (maybe partly refunded) card payments last changed at or after `since` (RFC 3339),
  /// with ids above after_id, in id order, at most limit: a page of what
  /// reconciliation asks the provider about.
  std::vector<StoredPayment> capturedCardPayments(const std::string& since,
                                                  const std::string& after_id, std::size_t limit);

  /// Binds a card token to the first payer that pays with it and returns
  /// that payer's name: `payer` itself, or whoever claimed the token before.
  std::string claimCardToken(const std::string& token, const std::string& payer);
  /// Undoes payer's claim: the provider refused the token for them (unknown,
  /// expired, or bound to another customer), so it was never theirs to hold.
  void releaseCardToken(const std::string& token, const std::string& payer);

  /// Issues a gift card (code normalized); nullopt when the code exists.
  std::optional<GiftCard> createGiftCard(std::string_view code, std::int64_t balance,
                                         const std::string& currency);
  std::optional<GiftCard> giftCard(std::string_view code);

 private:
  sql::Database& db_;
  const events::Outbox& outbox_;
};

}  // namespace emporium::payments
