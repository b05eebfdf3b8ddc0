#pragma once
// What the orders saga may ask of payments. Orders use this interface only,
// never the payments tables: in the all-in-one process the implementation is
// PaymentsService itself, in microservices mode an HTTP client (later).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emporium::payments {

enum class Method { kCard, kGiftCard, kCashOnDelivery };

/// "card", "gift_card", "cod": the contract's spelling. Inline, so a client
/// of this interface needs no link to the payments service.
inline std::string_view methodName(Method method) {
  switch (method) {
    case Method::kCard:
      return "card";
    case Method::kGiftCard:
      return "gift_card";
    case Method::kCashOnDelivery:
      return "cod";
  }
  return "card";
}

inline std::optional<Method> parseMethod(std::string_view name) {
  if (name == "card") return Method::kCard;
  if (name == "gift_card") return Method::kGiftCard;
  if (name == "cod") return Method::kCashOnDelivery;
  return std::nullopt;
}

struct ChargeRequest {
  std::string order_id;
  /// One key per payment attempt of an order (the saga uses the order id):
  /// a repeated charge() with the same key returns the first outcome and
  /// never charges twice, here or at the provider.
  std::string idempotency_key;
  Method method = Method::kCard;
  std::string card_token;      // kCard: the provider's token
  std::string gift_card_code;  // kGiftCard
  std::int64_t amount = 0;     // minor units, > 0
  std::string currency = "USD";
  /// Who pays: "user:<id>" or "cart:<id>" (a guest's cart). Required for
  /// cards: a card token pays for the first payer that uses it only.
  std::string payer;
  /// The buyer's client address: wrong gift-card codes are counted per payer
  /// and per address (see domain/gift_card_guard.hpp).
  std::string client_address;
};

/// The event a refund made at the card provider (found by reconciliation) is
/// announced by, from the payments outbox: `{"order_id", "payment_id",
/// "provider_refund_id", "amount", "currency"}` (docs/events.md). Orders
/// records it on the order (consumer orders.provider_refunds).
inline constexpr std::string_view kProviderRefundEvent = "payment.refunded_at_provider";

/// A payment as stored. Card details are the token, brand and last four only.
struct Payment {
  std::string id;
  std::string order_id;
  Method method = Method::kCard;
  /// "pending" (in flight, or cash to collect on delivery), "captured",
  /// "declined", "failed", "partially_refunded", "refunded", "voided".
  std::string status;
  std::int64_t amount = 0;
  std::int64_t refunded_amount = 0;  // all refunds together, at most amount
  std::string currency;
  std::optional<std::string> card_brand;
  std::optional<std::string> card_last4;
  std::string created_at;
  std::string updated_at;
};

enum class ChargeOutcome {
  kCaptured,           // money taken (card, gift card)
  kPending,            // cash on delivery: nothing to take now
  kDeclined,           // the provider refused the card -> 402
  kInsufficientFunds,  // card or gift card lacks funds -> 402
  kInvalid,            // unknown gift card code, unusable token -> 422
  kUnavailable,        // provider down, breaker open, retries exhausted -> 503
  kThrottled,          // too many wrong gift-card codes lately; nothing tried -> 429
};

struct ChargeResult {
  ChargeOutcome outcome = ChargeOutcome::kUnavailable;
  std::optional<Payment> payment;
  std::string detail;                   // for the problem document shown to the buyer
  std::chrono::seconds retry_after{0};  // kThrottled: when to try again
};

enum class RefundOutcome {
  kRefunded,     // money back (or a pending COD payment voided)
  kNothingToDo,  // no payment, or it was declined/failed/already refunded
  kUnavailable,  // the provider could not be reached; safe to retry later
};

class Client {
 public:
  virtual ~Client() = default;
  /// Idempotent per request.idempotency_key (see ChargeRequest).
  virtual ChargeResult charge(const ChargeRequest& request) = 0;
  /// Refunds what is left of the order's captured payment, or voids a
  /// pending COD one. Idempotent.
  virtual RefundOutcome refund(const std::string& order_id) = 0;
  /// Refunds `amount` (minor units, > 0) of the order's payment: one refund
  /// per key (the orders service's refund id), however often it is called,
  /// and never above what was captured. A card is refunded at the provider,
  /// a gift card credited back, cash on delivery only recorded (paid back by
  /// hand; uncollected cash has that much less to collect).
  virtual RefundOutcome refundPart(const std::string& order_id, const std::string& key,
                                   std::int64_t amount) = 0;
  /// Cash on delivery was collected: pending -> captured. No-op otherwise.
  virtual void markCollected(const std::string& order_id) = 0;
  /// The order's latest payment, if any.
  virtual std::optional<Payment> forOrder(const std::string& order_id) = 0;
};

}  // namespace emporium::payments
