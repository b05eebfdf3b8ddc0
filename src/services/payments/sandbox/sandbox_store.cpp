#include "services/payments/sandbox/sandbox_store.hpp"

#include <stdexcept>

#include "core/util/ids.hpp"

namespace emporium::payments::sandbox {
namespace {

constexpr sql::Query kInsertToken{
    "sandbox.insert_token",
    "INSERT INTO sandbox_tokens (token, brand, last4, behaviour, created_at, customer) "
    "VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr sql::Query kToken{
    "sandbox.token",
    "SELECT token, brand, last4, behaviour, created_at, customer FROM sandbox_tokens "
    "WHERE token = $1"};
constexpr sql::Query kPurgeTokens{
    "sandbox.purge_tokens",
    "DELETE FROM sandbox_tokens WHERE created_at < $1 AND NOT EXISTS "
    "(SELECT 1 FROM sandbox_charges c WHERE c.token = sandbox_tokens.token)"};

// One statement on both dialects (SQLite >= 3.35 has RETURNING).
constexpr sql::Query kCountAttempt{
    "sandbox.count_attempt",
    "INSERT INTO sandbox_attempts (idempotency_key, attempts) VALUES ($1, 1) "
    "ON CONFLICT (idempotency_key) DO UPDATE SET attempts = sandbox_attempts.attempts + 1 "
    "RETURNING attempts"};

constexpr sql::Query kInsertCharge{
    "sandbox.insert_charge",
    "INSERT INTO sandbox_charges (id, idempotency_key, token, amount, currency, status, "
    "decline_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};

// The latest refund's id names the charge's refund (null when none).
#define EMPORIUM_SANDBOX_CHARGE_SELECT                                                        \
  "SELECT c.id, c.idempotency_key, c.token, c.amount, c.currency, c.status, c.decline_code, " \
  "c.created_at, (SELECT r.id FROM sandbox_refunds r WHERE r.charge_id = c.id "               \
  "ORDER BY r.created_at DESC, r.id DESC LIMIT 1), c.refunded_amount FROM sandbox_charges c "

constexpr sql::Query kChargeByKey{"sandbox.charge_by_key",
                                  EMPORIUM_SANDBOX_CHARGE_SELECT "WHERE c.idempotency_key = $1"};

constexpr sql::Query kListCharges{"sandbox.list_charges", EMPORIUM_SANDBOX_CHARGE_SELECT
                                  "ORDER BY c.created_at DESC, c.id DESC LIMIT $1"};

#undef EMPORIUM_SANDBOX_CHARGE_SELECT

constexpr sql::Query kInsertRefund{
    "sandbox.insert_refund",
    "INSERT INTO sandbox_refunds (id, idempotency_key, charge_id, created_at, amount) "
    "VALUES ($1, $2, $3, $4, $5)"};
constexpr sql::Query kRefundByKey{
    "sandbox.refund_by_key",
    "SELECT id, idempotency_key, charge_id, created_at, amount FROM sandbox_refunds "
    "WHERE idempotency_key = $1"};
constexpr sql::Query kRefundsByCharge{
    "sandbox.refunds_by_charge",
    "SELECT id, idempotency_key, charge_id, created_at, amount FROM sandbox_refunds "
    "WHERE charge_id = $1 ORDER BY created_at, id"};
constexpr sql::Query kChargeById{
    "sandbox.charge_amounts", "SELECT amount, refunded_amount FROM sandbox_charges WHERE id = $1"};
// The check and the addition in one statement: two concurrent refunds can
// never both fit in what one of them leaves.
constexpr sql::Query kAddRefunded{
    "sandbox.add_refunded",
    "UPDATE sandbox_charges SET refunded_amount = refunded_amount + $2 "
    "WHERE id = $1 AND refunded_amount + $2 <= amount"};

Charge readCharge(const sql::Row& row) {
  Charge c{row.getText(0), row.getText(1),        row.getText(2),         row.getInt64(3),
           row.getText(4), row.getText(5),        row.getOptionalText(6), row.getText(7),
           false,          row.getOptionalText(8)};
  c.refunded_amount = row.getInt64(9);
  c.refunded = c.refunded_amount > 0 && c.refunded_amount >= c.amount;
  return c;
}

Refund readRefund(const sql::Row& row) {
  return {row.getText(0), row.getText(1), row.getText(2), row.getText(3), row.getInt64(4)};
}

sql::Param optionalParam(const std::optional<std::string>& value) {
  if (!value) return nullptr;
  return std::string_view(*value);
}

}  // namespace

std::string_view behaviourName(Behaviour behaviour) {
  switch (behaviour) {
    case Behaviour::kApprove:
      return "approve";
    case Behaviour::kDecline:
      return "decline";
    case Behaviour::kInsufficientFunds:
      return "insufficient_funds";
    case Behaviour::kFailTwice:
      return "fail_twice";
  }
  return "approve";
}

std::optional<Behaviour> parseBehaviour(std::string_view name) {
  for (const auto b : {Behaviour::kApprove, Behaviour::kDecline, Behaviour::kInsufficientFunds,
                       Behaviour::kFailTwice}) {
    if (behaviourName(b) == name) return b;
  }
  return std::nullopt;
}

Behaviour behaviourOf(std::string_view digits) {
  if (digits == "4000000000000002") return Behaviour::kDecline;
  if (digits == "4000000000009995") return Behaviour::kInsufficientFunds;
  if (digits == "4000000000000119") return Behaviour::kFailTwice;
  return Behaviour::kApprove;
}

void SandboxStore::insertToken(const Token& token) {
  const std::string created_at = token.created_at.empty() ? util::nowRfc3339() : token.created_at;
  db_.write([&](sql::Session& s) {
    const sql::Param customer =
        token.customer ? sql::Param(std::string_view(*token.customer)) : sql::Param(nullptr);
    s.execute(kInsertToken, {token.token, token.brand, token.last4, behaviourName(token.behaviour),
                             created_at, customer});
  });
}

std::int64_t SandboxStore::purgeUnusedTokensBefore(const std::string& cutoff) {
  return db_.write(
      [&](sql::Session& s) { return s.execute(kPurgeTokens, {cutoff}).affectedRows(); });
}

std::optional<Token> SandboxStore::token(const std::string& token) {
  return db_.read([&](sql::Session& s) -> std::optional<Token> {
    const auto rows = s.execute(kToken, {token});
    if (rows.empty()) return std::nullopt;
    const auto behaviour = parseBehaviour(rows[0].getText(3));
    if (!behaviour) throw sql::Error(sql::ErrorKind::kType, "unknown sandbox token behaviour");
    return Token{rows[0].getText(0), rows[0].getText(1), rows[0].getText(2),
                 *behaviour,         rows[0].getText(4), rows[0].getOptionalText(5)};
  });
}

std::int64_t SandboxStore::countAttempt(const std::string& idempotency_key) {
  return db_.write([&](sql::Session& s) {
    const auto rows = s.execute(kCountAttempt, {idempotency_key});
    if (rows.empty()) throw sql::Error(sql::ErrorKind::kOther, "attempt count not returned");
    return rows[0].getInt64(0);
  });
}

std::optional<Charge> SandboxStore::chargeByKey(const std::string& idempotency_key) {
  return db_.read([&](sql::Session& s) -> std::optional<Charge> {
    const auto rows = s.execute(kChargeByKey, {idempotency_key});
    if (rows.empty()) return std::nullopt;
    return readCharge(rows[0]);
  });
}

std::pair<Charge, bool> SandboxStore::insertChargeOrGet(const Charge& charge) {
  try {
    db_.write([&](sql::Session& s) {
      s.execute(kInsertCharge,
                {charge.id, charge.idempotency_key, charge.token, charge.amount, charge.currency,
                 charge.status, optionalParam(charge.decline_code), charge.created_at});
    });
    return {charge, true};
  } catch (const sql::Error& e) {
    if (e.kind() != sql::ErrorKind::kUniqueViolation) throw;
  }
  // A concurrent call with the same key charged first: that is the charge.
  auto existing = chargeByKey(charge.idempotency_key);
  if (!existing) throw std::logic_error("sandbox charge key conflict without a charge");
  return {std::move(*existing), false};
}

std::vector<Charge> SandboxStore::listCharges(const std::optional<std::string>& idempotency_key,
                                              std::size_t limit) {
  if (idempotency_key) {
    auto one = chargeByKey(*idempotency_key);
    if (!one) return {};
    return {std::move(*one)};
  }
  return db_.read([&](sql::Session& s) {
    std::vector<Charge> out;
    for (const auto& row : s.execute(kListCharges, {static_cast<std::int64_t>(limit)})) {
      out.push_back(readCharge(row));
    }
    return out;
  });
}

std::optional<Refund> SandboxStore::refundByKey(const std::string& idempotency_key) {
  return db_.read([&](sql::Session& s) -> std::optional<Refund> {
    const auto rows = s.execute(kRefundByKey, {idempotency_key});
    if (rows.empty()) return std::nullopt;
    return readRefund(rows[0]);
  });
}

RefundInsert SandboxStore::insertRefund(const Refund& refund) {
  using Kind = RefundInsert::Kind;
  try {
    return db_.write([&](sql::Session& s) -> RefundInsert {
      const auto by_key = s.execute(kRefundByKey, {refund.idempotency_key});
      if (!by_key.empty()) return {Kind::kExisting, readRefund(by_key[0])};
      const auto charge = s.execute(kChargeById, {refund.charge_id});
      if (charge.empty()) throw std::logic_error("sandbox refund of an unknown charge");
      const std::int64_t left = charge[0].getInt64(0) - charge[0].getInt64(1);
      if (refund.amount > left) return {Kind::kTooLarge, std::nullopt};
      Refund row = refund;
      if (row.amount == 0) {
        if (left == 0) {
          // Refunded in full already: that is the refund (a charge is refunded once).
          const auto all = s.execute(kRefundsByCharge, {refund.charge_id});
          if (all.empty()) return {Kind::kTooLarge, std::nullopt};
          return {Kind::kExisting, readRefund(all[all.size() - 1])};
        }
        row.amount = left;
      }
      // Conditional: a concurrent refund committed since the read above makes
      // this one refuse rather than overshoot.
      if (s.execute(kAddRefunded, {row.charge_id, row.amount}).affectedRows() != 1) {
        return {Kind::kTooLarge, std::nullopt};
      }
      s.execute(kInsertRefund,
                {row.id, row.idempotency_key, row.charge_id, row.created_at, row.amount});
      return {Kind::kCreated, row};
    });
  } catch (const sql::Error& e) {
    if (e.kind() != sql::ErrorKind::kUniqueViolation) throw;
  }
  // The same key, concurrently: that refund is this one.
  auto existing = refundByKey(refund.idempotency_key);
  if (!existing) throw std::logic_error("sandbox refund conflict without a refund");
  return {Kind::kExisting, std::move(existing)};
}

std::vector<Refund> SandboxStore::refundsOf(const std::string& charge_id) {
  return db_.read([&](sql::Session& s) {
    std::vector<Refund> out;
    for (const auto& row : s.execute(kRefundsByCharge, {charge_id})) out.push_back(readRefund(row));
    return out;
  });
}

}  // namespace emporium::payments::sandbox
