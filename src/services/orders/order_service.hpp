#pragma once
// The orders service's behaviour: checkout as a saga over inventory and
// payments, the state machine for everything after it, and the recovery
// sweeper. It speaks to other services only through their client interfaces.
//
// Checkout:  claim the Idempotency-Key -> price the cart -> order `pending`
//   -> reserve stock -> take payment -> confirm the reservation -> `confirmed`.
// A failure after a step compensates through "effects" stored on the order
// (release stock, refund) in the same transaction as the status change, done
// right after it and cleared when done. A crash at any point leaves either a
// `pending` order or owed effects, and the sweeper finishes both.
//
// A refused checkout (402 declined, 409 stock, 422 payment details, 503
// provider down, or interrupted) ends `failed`, an internal status: the row
// keeps the attempt for the shop owner (GET /admin/orders?status=failed, the
// checkouts_total metric), while the buyer's history, detail and mail never
// see it. The cart is only emptied by a confirmed order (an owed effect too,
// so a crash right after the confirmation still empties it).

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "core/http/response.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/exposition.hpp"
#include "core/util/clock.hpp"
#include "core/util/periodic_task.hpp"
#include "core/util/result.hpp"
#include "services/cart/client.hpp"
#include "services/catalog/client.hpp"
#include "services/inventory/client.hpp"
#include "services/orders/checkout/refusal.hpp"
#include "services/orders/checkout/request.hpp"
#include "services/orders/domain/order.hpp"
#include "services/orders/order_error.hpp"
#include "services/orders/storage/order_store.hpp"
#include "services/payments/client.hpp"

namespace emporium::orders {

/// POST /admin/orders/{id}/refund, parsed: no amount and no lines refunds
/// what is left of the order.
struct RefundRequest {
  std::string by;  // the admin's user id
  std::string reason;
  std::optional<std::int64_t> amount;  // minor units, > 0
  std::vector<RefundLine> lines;       // distinct SKUs, quantity >= 1
};

/// Where the saga may stop the process, for crash tests: "key_claimed",
/// "order_created",
/// "stock_reserved", "payment_taken", "stock_confirmed", "order_confirmed"
/// (committed, with its order.confirmed event). Empty in production.
struct CrashHook {
  std::string at;
  void operator()(std::string_view step) const;
};

struct OrderOptions {
  PricingRules pricing;
  /// How long a checkout's stock hold lasts before the inventory sweeper frees it.
  std::chrono::seconds hold_for{900};
  /// A `pending` order or owed effect untouched this long is the sweeper's.
  std::chrono::milliseconds recover_after{60000};
  /// How often the sweeper looks (it also runs once at start-up).
  std::chrono::milliseconds sweep_every{15000};
  /// How long a request waits for another one with the same key to finish.
  std::chrono::milliseconds replay_wait{10000};
  CrashHook crash;
  /// What "now" is for the sweeper's age checks; the system clock when empty
  /// (tests move a fake one forward instead of sleeping).
  util::Clock clock;
};

/// The longest a card charge can take with the provider's retries (per
/// attempt timeout times attempts, plus the backoff between them). A sweeper
/// that treats a younger `pending` order as abandoned would cancel checkouts
/// still charging in another process: validateRecovery refuses that.
/// Throws std::invalid_argument naming orders.recover_after_ms when
/// recover_after < worst_case_charge.
void validateRecovery(std::chrono::milliseconds recover_after,
                      std::chrono::milliseconds worst_case_charge);

struct RecoveryReport {
  std::size_t confirmed = 0;
  std::size_t failed = 0;  // interrupted checkouts given up (status failed)
  std::size_t keys_released = 0;
  std::size_t effects_done = 0;
  std::size_t deferred = 0;  // a dependency was unavailable: next round
};

class OrderService {
 public:
  OrderService(OrderStore& store, cart::Client& carts, catalog::Client& skus,
               inventory::Client& inventory, payments::Client& payments, AddressBook addresses,
               OrderOptions options, const log::Logger& logger);
  ~OrderService();  // stops the sweeper first
  OrderService(const OrderService&) = delete;
  OrderService& operator=(const OrderService&) = delete;

  /// POST /orders. Returns the response to send (201, 402, 409, 422, 503),
  /// the same bytes for every replay of the key. Throws http::ApiError for
  /// problems found before anything was stored (those are not replayed).
  http::Response place(const CheckoutRequest& request, std::string_view request_path,
                       std::string_view request_id);

  /// The caller's order (another user's, or a failed checkout, is nullopt, i.e. 404).
  std::optional<Order> orderFor(const std::string& user_id, const std::string& order_id);
  std::optional<Order> order(const std::string& order_id) { return store_.find(order_id); }

  /// The state machine's transitions, each through the transition table in
  /// one conditional write. Refused with OrderError kNotFound (no such
  /// order) or kStatus naming the current status (the table forbids the change).
  util::Result<Order, OrderError> cancel(const std::string& order_id,
                                         const std::optional<std::string>& user_id);
  util::Result<Order, OrderError> ship(const std::string& order_id, const std::string& carrier,
                                       const std::string& tracking_number);
  util::Result<Order, OrderError> deliver(const std::string& order_id);
  /// A refund by amount, by lines, or of what is left (see RefundRequest),
  /// recorded with who/when/why. The bookkeeping is one conditional write
  /// (OrderStore::applyRefund), so concurrent refunds never add up to more
  /// than the order's total; then exactly one payment refund per accepted
  /// request (keyed by the refund's id) and returned lines back in stock.
  /// Refused with kNotFound, kStatus, kInvalid naming every field that does
  /// not fit (`amount`, `lines`, `lines[i].sku`, `lines[i].quantity`,
  /// `lines[i].returned`) or kInProgress (concurrent refunds kept changing
  /// what is left).
  util::Result<Order, OrderError> refund(const std::string& order_id,
                                         const RefundRequest& request = {});
  /// What recording a refund made at the card provider did.
  enum class ProviderRefundBooking : std::uint8_t {
    kBooked,        // recorded now
    kBookedBefore,  // recorded under this provider refund id already
    kNotYet,        // the order's checkout is still pending: ask again later
    kRefused,       // no such order, or it cannot take it (status, above what is left)
  };
  /// A refund made at the card provider (found by payments' reconciliation):
  /// recorded once per provider refund id, as settled (the money moved
  /// already), by "provider".
  ProviderRefundBooking recordProviderRefund(const std::string& order_id,
                                             const std::string& provider_refund_id,
                                             std::int64_t amount);

  /// One sweeper pass: finishes or compensates stale pending orders and
  /// performs owed effects. Runs on the background thread; public for tests.
  RecoveryReport recover();
  /// Starts the background sweeper (a pass every sweep_every).
  /// Separate from construction so the app can start it once the services it
  /// calls (the sandbox provider on this very server, say) are listening.
  void startSweeper();

  OrderStore& store() { return store_; }
  /// Checkouts by outcome, recoveries, released keys, deferred effects.
  void collect(metrics::Exposition& out) const;

 private:
  struct Counters;
  /// Marks an order (or a key not yet linked to one) as a checkout this
  /// process is running: the sweeper leaves it alone whatever its age.
  class InFlight;
  util::Result<Order, OrderError> applyTransition(const std::string& order_id,
                                                  const Transition& change,
                                                  std::span<const OrderStatus> only_from = {});
  bool inFlight(const std::string& id) const;
  /// Counts a refused checkout under its outcome in emporium_checkouts_total.
  void countRefused(checkout::CheckoutRefusal::Kind kind);
  /// Performs the effects the order owes; true when none is left owing.
  bool runEffects(const Order& order);
  /// Settles the order's unsettled refunds (payment, returned stock); true
  /// when none is left owing.
  bool settleRefunds(const Order& order);
  void resumePending(const std::string& order_id, RecoveryReport& report);
  void sweepOnce();

  OrderStore& store_;
  cart::Client& carts_;
  catalog::Client& skus_;
  inventory::Client& inventory_;
  payments::Client& payments_;
  AddressBook addresses_;
  OrderOptions options_;
  const log::Logger& logger_;
  std::unique_ptr<Counters> counters_;
  mutable std::mutex in_flight_mutex_;
  std::set<std::string> in_flight_;  // order ids and "key:<user>/<key>" being checked out
  std::unique_ptr<util::PeriodicTask> sweeper_;  // last: stopped before the rest goes
};

}  // namespace emporium::orders
