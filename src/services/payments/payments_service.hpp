#pragma once
// Payments as the orders saga sees them (payments::Client): card charges
// through a CardProvider, gift-card debits, cash on delivery, refunds. Every
// entry point is idempotent, so the saga may retry any step after a crash.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "core/log/logger.hpp"
#include "services/payments/client.hpp"
#include "services/payments/domain/gift_card_guard.hpp"
#include "services/payments/provider/card_provider.hpp"
#include "services/payments/storage/payment_store.hpp"

namespace emporium::payments {

/// What one reconciliation pass did.
struct ReconcileReport {
  std::size_t checked = 0;     // payments the provider was asked about
  std::size_t refunded = 0;    // refunds made at the provider, now recorded
  std::size_t unanswered = 0;  // the provider could not say
};

class PaymentsService final : public Client {
 public:
  /// gift_card_guard: caps wrong gift-card codes; null when limits are off.
  PaymentsService(PaymentStore& store, CardProvider& provider, const log::Logger& logger,
                  GiftCardGuard* gift_card_guard = nullptr)
      : store_(store), provider_(provider), logger_(logger), gift_card_guard_(gift_card_guard) {}

  ChargeResult charge(const ChargeRequest& request) override;
  RefundOutcome refund(const std::string& order_id) override;
  RefundOutcome refundPart(const std::string& order_id, const std::string& key,
                           std::int64_t amount) override;
  void markCollected(const std::string& order_id) override;
  std::optional<Payment> forOrder(const std::string& order_id) override;

  /// Issues a gift card; nullopt when the (normalized) code exists already.
  std::optional<GiftCard> createGiftCard(std::string_view code, std::int64_t balance,
                                         const std::string& currency);
  std::optional<GiftCard> giftCard(std::string_view code);

  /// One reconciliation pass: asks the provider about up to `limit` captured
  /// card payments last changed since `since` (RFC 3339), continuing after the
  /// previous pass's last one (and from the start once through), and records
  /// every refund made at the provider behind our back: payment -> refunded
  /// with a refunds row, and a kProviderRefundEvent in the same transaction
  /// for orders to record on the order (its tables are not touched here).
  ReconcileReport reconcileRefunds(const std::string& since, std::size_t limit);

 private:
  /// payer: the customer the provider charges for (a token bound to another is refused).
  ChargeResult chargeCard(const StoredPayment& pending, const std::string& payer);
  ChargeResult chargeGiftCard(const ChargeRequest& request, const NewPayment& payment);
  /// One refund step on the payment as read; nullopt when it changed meanwhile.
  std::optional<RefundOutcome> refundStep(const StoredPayment& payment);
  std::optional<RefundOutcome> refundCard(const StoredPayment& payment);
  /// A charge landed after a refund gave its payment up: hand the money back.
  void returnOrphanCharge(const StoredPayment& payment);

  PaymentStore& store_;
  CardProvider& provider_;
  const log::Logger& logger_;
  GiftCardGuard* gift_card_guard_;
  std::mutex reconcile_mutex_;   // one pass at a time; guards the cursor
  std::string reconcile_after_;  // last payment id the previous pass asked about
  /// Records one refund made at the provider, announced to orders; true when new.
  /// position: its place (from 1) in the provider's list of the payment's refunds.
  bool recordProviderRefund(const StoredPayment& payment, const std::string& refund_id,
                            std::size_t position, std::int64_t amount);
};

/// The outcome a stored payment stands for (what a replayed charge returns).
ChargeOutcome outcomeOf(const StoredPayment& payment);

/// The provider's charge idempotency key for a payment: its id, which is
/// stored before the first call, so every retry and a later refund by key
/// name the same charge.
std::string providerChargeKey(const StoredPayment& payment);
std::string providerRefundKey(const StoredPayment& payment);
/// The provider's key for one partial refund (key: the refund's own key).
/// Starts with providerRefundKey(payment): every refund of ours does.
std::string providerPartRefundKey(const StoredPayment& payment, const std::string& key);

/// A problem with a charge request, before any money moves; nullopt if fine.
std::optional<std::string> checkChargeRequest(const ChargeRequest& request);

}  // namespace emporium::payments
