#pragma once
// The sandbox provider's records in its own database, so tokens, charges and
// refunds survive a restart of the process (crash tests restart it).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sql/database.hpp"

namespace emporium::payments::sandbox {

/// What a test card does when charged.
enum class Behaviour : std::uint8_t {
  kApprove,
  kDecline,            // 402 card_declined
  kInsufficientFunds,  // 402 insufficient_funds
  kFailTwice,          // 503 on the first 2 attempts per idempotency key, then approves
};

std::string_view behaviourName(Behaviour behaviour);
std::optional<Behaviour> parseBehaviour(std::string_view name);
/// The contract's test cards; any other valid number approves.
Behaviour behaviourOf(std::string_view digits);

struct Token {
  std::string token;
  std::string brand;
  std::string last4;
  Behaviour behaviour = Behaviour::kApprove;
  std::string created_at;  // RFC 3339, fixed width: compared as text
  /// The payer ("user:...", "cart:...") a customer-bound tokenize URL gave
  /// it; only that payer's charges may use it. nullopt: unbound.
  std::optional<std::string> customer;
};

struct Charge {
  std::string id;
  std::string idempotency_key;
  std::string token;
  std::int64_t amount = 0;
  std::string currency;
  std::string status;  // "succeeded" or "declined"
  std::optional<std::string> decline_code;
  std::string created_at;
  bool refunded = false;                 // refunded in full (in one refund or several)
  std::optional<std::string> refund_id;  // the latest refund, when any
  std::int64_t refunded_amount = 0;
};

struct Refund {
  std::string id;
  std::string idempotency_key;
  std::string charge_id;
  std::string created_at;
  std::int64_t amount = 0;
};

/// What insertRefund did.
struct RefundInsert {
  enum class Kind : std::uint8_t {
    kCreated,   // a new refund of `amount`
    kExisting,  // the key was used before (that refund), or nothing was left to refund
    kTooLarge,  // more than what is left of the charge: nothing refunded
  };
  Kind kind = Kind::kCreated;
  std::optional<Refund> refund;
};

class SandboxStore {
 public:
  explicit SandboxStore(sql::Database& db) : db_(db) {}

  void insertToken(const Token& token);
  std::optional<Token> token(const std::string& token);
  /// Deletes tokens made before `cutoff` (RFC 3339) that no charge names
  /// (a charged token stays: replays of its charge show its brand). Returns
  /// how many went.
  std::int64_t purgeUnusedTokensBefore(const std::string& cutoff);

  /// Counts one more attempt under the key and returns the count (1 first).
  std::int64_t countAttempt(const std::string& idempotency_key);

  std::optional<Charge> chargeByKey(const std::string& idempotency_key);
  /// Inserts the charge; when one exists under its key, returns that one.
  /// second: true when this call created it.
  std::pair<Charge, bool> insertChargeOrGet(const Charge& charge);
  /// Newest first; only the key's charge when key is set.
  std::vector<Charge> listCharges(const std::optional<std::string>& idempotency_key,
                                  std::size_t limit);

  std::optional<Refund> refundByKey(const std::string& idempotency_key);
  /// Refunds refund.amount of the charge (0: all that is left of it). The
  /// running total and the refund row are one transaction whose UPDATE is
  /// conditional on the total staying within the charge, so concurrent
  /// partial refunds never add up to more than was charged. A key used
  /// before returns its refund; with nothing left to refund and no amount
  /// asked, the latest refund (a charge is refunded in full once).
  RefundInsert insertRefund(const Refund& refund);
  /// The charge's refunds, oldest first.
  std::vector<Refund> refundsOf(const std::string& charge_id);

 private:
  sql::Database& db_;
};

}  // namespace emporium::payments::sandbox
