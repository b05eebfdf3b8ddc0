#pragma once
// The orders service's tables: orders, lines, timeline and idempotency keys.
// Every SQL statement of the service lives behind this class.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/sql/database.hpp"
#include "services/orders/domain/order.hpp"

namespace emporium::orders {

/// A finished response kept for replays of one Idempotency-Key.
struct StoredResponse {
  int status = 0;
  std::string body;
};

struct IdempotencyRef {
  std::string user_id;
  std::string key;
};

enum class ClaimState : std::uint8_t {
  kClaimed,     // this request owns the key: go on
  kReplay,      // finished before: answer with the stored response
  kInProgress,  // another request with this key is still running
  kMismatch,    // the key was used with another request body
};

struct Claim {
  ClaimState state = ClaimState::kClaimed;
  std::optional<StoredResponse> response;
};

/// A status change, applied only when the order's status is one the
/// transition table (allowedFrom) lets it start from.
struct Transition {
  OrderStatus to = OrderStatus::kConfirmed;
  std::string note;
  StockEffect stock_effect = StockEffect::kNone;
  PaymentEffect payment_effect = PaymentEffect::kNone;
  bool empty_cart = false;
  std::optional<std::string> payment_status;
  std::optional<std::string> payment_id;
  std::optional<std::string> carrier;
  std::optional<std::string> tracking_number;
  /// Saved in the same transaction, so a replay of the key sees the outcome
  /// exactly when the order has it.
  std::optional<IdempotencyRef> idempotency;
  std::optional<StoredResponse> response;
};

/// An order after transition(): applied is false when its status refused the change.
struct Transitioned {
  Order order;
  bool applied = false;
};

/// A refund to record: amount and lines decided by the service.
struct NewRefund {
  std::int64_t amount = 0;
  std::vector<RefundLine> lines;
  std::string reason;
  std::string by;
  std::string note;      // the timeline's
  bool settled = false;  // the money moved already (at the provider): payment status too
  std::string id;        // empty: a new one is drawn
};

/// What applyRefund did.
struct RefundApplied {
  enum class Outcome : std::uint8_t {
    kApplied,
    kNoOrder,
    kStatus,        // the order's status is not one a refund starts from
    kOverTotal,     // the refunds would add up to more than the order's total
    kLineQuantity,  // lines[line_index] asks more than bought minus refunded
    kDuplicate,     // a refund with this id exists (provider refunds: recorded before)
  };
  Outcome outcome = Outcome::kApplied;
  std::optional<Order> order;  // as it is afterwards (also when refused, if it exists)
  Refund refund;               // kApplied
  bool full = false;           // kApplied: the order is now refunded in full
  std::size_t line_index = 0;  // kLineQuantity
};

class OrderStore {
 public:
  /// Status changes buyers hear about (confirmed, cancelled, shipped,
  /// delivered, refunded) add an "order.<status>" event to `outbox` in the
  /// transaction that applies them.
  OrderStore(sql::Database& db, const events::Outbox& outbox) : db_(db), outbox_(outbox) {}

  Claim claimKey(const IdempotencyRef& ref, const std::string& request_hash);
  /// Reads the key's state again (for a request waiting on another one).
  Claim peekKey(const IdempotencyRef& ref, const std::string& request_hash);
  /// Forgets a claim that produced no order worth replaying (bad cart, provider down).
  void releaseKey(const IdempotencyRef& ref);
  void saveResponse(const IdempotencyRef& ref, const StoredResponse& response);

  /// Inserts order (status pending) with its lines and first timeline entry and
  /// links the idempotency key to it, in one transaction. Sets id, number,
  /// created_at and updated_at; draws a new number on the rare clash.
  void createPending(Order& order, const IdempotencyRef& ref);

  /// Applies the transition in one conditional write when the order's status
  /// is one allowedFrom(change.to) lists and, when only_from is not empty,
  /// also one of only_from (a caller that priced its effects on the status it
  /// read). Returns the order as it is afterwards, and whether this call
  /// changed it. nullopt: no such order.
  std::optional<Transitioned> transition(const std::string& order_id, const Transition& change,
                                         std::span<const OrderStatus> only_from = {});

  /// Records a refund in one transaction: the order's running total grows in
  /// one conditional UPDATE (a status the transition table lets `refunded`
  /// start from, and never above the total), so concurrent refunds can never
  /// add up to more than was captured; each line's refunded quantity the
  /// same way; the refund row, a timeline entry and an order.refunded event
  /// (carrying the refund) with it. Reaching the total makes the order
  /// `refunded` (releasing stock still held when it was `confirmed`); less
  /// keeps its status. The refund is owed (refund_effect) until settled.
  RefundApplied applyRefund(const std::string& order_id, const NewRefund& refund);
  /// The refund's money and stock are done: marks it settled, sets the
  /// order's payment status from the settled refunds, and clears
  /// refund_effect when nothing is owed any more.
  void settleRefund(const std::string& order_id, const std::string& refund_id);

  /// Clears effects that are done. Only clears the named ones, and only when
  /// they are still the ones owed (a later change may have set others).
  void clearEffects(const std::string& order_id, StockEffect stock, PaymentEffect payment,
                    const std::optional<std::string>& payment_status, bool cart = false);

  std::optional<Order> find(const std::string& order_id);
  /// Newest first; before_id is the keyset cursor (exclusive).
  /// Only orders the buyer sees (visibleToBuyer).
  std::vector<Order> listForUser(const std::string& user_id,
                                 const std::optional<std::string>& before_id, std::size_t limit);
  /// Failed checkouts only when status asks for them.
  std::vector<Order> listAll(std::optional<OrderStatus> status,
                             const std::optional<std::string>& before_id, std::size_t limit);

  /// Orders the recovery sweeper should look at: pending and not touched since
  /// `before` (RFC 3339), or owing effects since then.
  std::vector<std::string> stalePending(const std::string& before, std::size_t limit);
  std::vector<std::string> owingEffects(const std::string& before, std::size_t limit);
  /// Claims made before `before` that never got an order nor a response: a
  /// process died between claiming the key and creating the order.
  std::vector<IdempotencyRef> unlinkedKeys(const std::string& before, std::size_t limit);
  /// Releases one such claim, only if it is still unlinked; true when released.
  bool releaseUnlinkedKey(const IdempotencyRef& ref);

  /// The idempotency key linked to an order, if any.
  std::optional<IdempotencyRef> keyForOrder(const std::string& order_id);

 private:
  sql::Database& db_;
  const events::Outbox& outbox_;
};

}  // namespace emporium::orders
