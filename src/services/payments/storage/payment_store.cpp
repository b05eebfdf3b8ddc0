#include "services/payments/storage/payment_store.hpp"

#include <cctype>
#include <stdexcept>

#include "core/json/writer.hpp"
#include "core/util/ids.hpp"

namespace emporium::payments {
namespace {

#define EMPORIUM_PAYMENT_COLUMNS                                                              \
  "id, order_id, idempotency_key, method, status, amount, currency, card_token, card_brand, " \
  "card_last4, gift_card_code, provider_charge_id, decline_reason, created_at, updated_at, "  \
  "refunded_amount"

constexpr sql::Query kInsertPayment{
    "payments.insert",
    "INSERT INTO payments (" EMPORIUM_PAYMENT_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9, NULL, $10, $11, $11, 0)"};

constexpr sql::Query kByKey{"payments.by_key", "SELECT " EMPORIUM_PAYMENT_COLUMNS
                                               " FROM payments WHERE idempotency_key = $1"};

// created_at has microseconds; id breaks ties within one.
constexpr sql::Query kLatestForOrder{"payments.latest_for_order",
                                     "SELECT " EMPORIUM_PAYMENT_COLUMNS
                                     " FROM payments WHERE order_id = $1 "
                                     "ORDER BY created_at DESC, id DESC LIMIT 1"};

// Reconciliation walks captured card payments by id, a page at a time.
constexpr sql::Query kCapturedCards{"payments.captured_cards",
                                    "SELECT " EMPORIUM_PAYMENT_COLUMNS
                                    " FROM payments WHERE status = 'captured' AND method = 'card' "
                                    "AND updated_at >= $1 AND id > $2 ORDER BY id LIMIT $3"};

#undef EMPORIUM_PAYMENT_COLUMNS

constexpr sql::Query kMarkCaptured{
    "payments.mark_captured",
    "UPDATE payments SET status = 'captured', provider_charge_id = $2, card_brand = $3, "
    "card_last4 = $4, updated_at = $5 WHERE id = $1 AND status = 'pending'"};

constexpr sql::Query kTransition{
    "payments.transition",
    "UPDATE payments SET status = $3, decline_reason = COALESCE($4, decline_reason), "
    "updated_at = $5 WHERE id = $1 AND status = $2"};

constexpr sql::Query kInsertRefund{
    "payments.insert_refund",
    "INSERT INTO refunds (id, payment_id, amount, status, provider_refund_id, created_at, "
    "idempotency_key) VALUES ($1, $2, $3, 'succeeded', $4, $5, $6)"};
constexpr sql::Query kRefundByKey{"payments.refund_by_key",
                                  "SELECT id FROM refunds WHERE idempotency_key = $1"};
constexpr sql::Query kRefundByProviderId{
    "payments.refund_by_provider_id",
    "SELECT id FROM refunds WHERE payment_id = $1 AND provider_refund_id = $2"};
constexpr sql::Query kRefundedAmount{"payments.refunded_amount",
                                     "SELECT refunded_amount FROM payments WHERE id = $1"};
// The whole rest: conditional on the status and on the total read, so a
// concurrent partial refund makes this one try again rather than overpay.
constexpr sql::Query kMarkRefunded{
    "payments.mark_refunded",
    "UPDATE payments SET status = 'refunded', refunded_amount = amount, updated_at = $4 "
    "WHERE id = $1 AND status = $2 AND refunded_amount = $3"};
// One partial refund: the check and the addition are one statement, so
// concurrent refunds never add up to more than the payment. A partly
// refunded payment stays 'captured' as stored (the CHECK on status predates
// partial refunds); refunded_amount > 0 is what makes it partly refunded.
constexpr sql::Query kAddRefund{
    "payments.add_refund",
    "UPDATE payments SET refunded_amount = refunded_amount + $2, status = CASE "
    "WHEN status = 'pending' THEN CASE WHEN refunded_amount + $2 >= amount THEN 'voided' "
    "ELSE 'pending' END "
    "WHEN refunded_amount + $2 >= amount THEN 'refunded' ELSE status END, "
    "updated_at = $3 WHERE id = $1 AND refunded_amount + $2 <= amount AND "
    "(status = 'captured' OR (status = 'pending' AND method = 'cod'))"};

// The whole debit: the balance check and the subtraction are one statement,
// so two concurrent debits can never both see the same balance.
constexpr sql::Query kDebitGiftCard{"gift_cards.debit",
                                    "UPDATE gift_cards SET balance = balance - $2, updated_at = $4 "
                                    "WHERE code = $1 AND currency = $3 AND balance >= $2"};

constexpr sql::Query kCreditGiftCard{
    "gift_cards.credit",
    "UPDATE gift_cards SET balance = balance + $2, updated_at = $3 WHERE code = $1"};

constexpr sql::Query kInsertLedger{
    "gift_cards.insert_ledger",
    "INSERT INTO gift_card_ledger (id, code, payment_id, delta, at) VALUES ($1, $2, $3, $4, $5)"};

constexpr sql::Query kInsertGiftCard{
    "gift_cards.insert",
    "INSERT INTO gift_cards (code, balance, currency, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $4)"};

constexpr sql::Query kGiftCard{
    "gift_cards.by_code",
    "SELECT code, balance, currency, created_at, updated_at FROM gift_cards WHERE code = $1"};

// The first payer wins; a later one reads who that was.
constexpr sql::Query kClaimToken{
    "payments.claim_token",
    "INSERT INTO card_token_owners (token, payer, created_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (token) DO NOTHING"};
constexpr sql::Query kTokenOwner{"payments.token_owner",
                                 "SELECT payer FROM card_token_owners WHERE token = $1"};
constexpr sql::Query kReleaseToken{"payments.release_token",
                                   "DELETE FROM card_token_owners WHERE token = $1 AND payer = $2"};

sql::Param optionalParam(const std::optional<std::string>& value) {
  if (!value) return nullptr;
  return std::string_view(*value);
}

sql::Param optionalParam(const std::optional<std::string_view>& value) {
  if (!value) return nullptr;
  return *value;
}

StoredPayment readPayment(const sql::Row& row) {
  StoredPayment p;
  p.payment.id = row.getText(0);
  p.payment.order_id = row.getText(1);
  p.idempotency_key = row.getText(2);
  const auto method = parseMethod(row.getText(3));
  if (!method) throw sql::Error(sql::ErrorKind::kType, "payments.method holds an unknown method");
  p.payment.method = *method;
  p.payment.status = row.getText(4);
  p.payment.amount = row.getInt64(5);
  p.payment.currency = row.getText(6);
  p.card_token = row.getOptionalText(7);
  p.payment.card_brand = row.getOptionalText(8);
  p.payment.card_last4 = row.getOptionalText(9);
  p.gift_card_code = row.getOptionalText(10);
  p.provider_charge_id = row.getOptionalText(11);
  p.decline_reason = row.getOptionalText(12);
  p.payment.created_at = row.getText(13);
  p.payment.updated_at = row.getText(14);
  p.payment.refunded_amount = row.getInt64(15);
  return p;
}

std::optional<StoredPayment> findByKey(sql::Session& s, const std::string& key) {
  const auto rows = s.execute(kByKey, {key});
  if (rows.empty()) return std::nullopt;
  return readPayment(rows[0]);
}

void insertPayment(sql::Session& s, const StoredPayment& p) {
  s.execute(
      kInsertPayment,
      {p.payment.id, p.payment.order_id, p.idempotency_key, methodName(p.payment.method),
       p.payment.status, p.payment.amount, p.payment.currency, optionalParam(p.card_token),
       optionalParam(p.gift_card_code), optionalParam(p.decline_reason), p.payment.created_at});
}

StoredPayment newRow(const NewPayment& n, std::string_view status_value,
                     std::optional<std::string_view> decline_reason) {
  StoredPayment p;
  p.payment.id = util::newId("pay");
  p.payment.order_id = n.order_id;
  p.payment.method = n.method;
  p.payment.status = std::string(status_value);
  p.payment.amount = n.amount;
  p.payment.currency = n.currency;
  p.payment.created_at = util::nowRfc3339();
  p.payment.updated_at = p.payment.created_at;
  p.idempotency_key = n.idempotency_key;
  p.card_token = n.card_token;
  p.gift_card_code = n.gift_card_code;
  if (decline_reason) p.decline_reason = std::string(*decline_reason);
  return p;
}

GiftCard readGiftCard(const sql::Row& row) {
  return {row.getText(0), row.getInt64(1), row.getText(2), row.getText(3), row.getText(4)};
}

bool isUniqueViolation(const sql::Error& e) { return e.kind() == sql::ErrorKind::kUniqueViolation; }

// Orders hears of a refund made at the provider through the outbox, so the
// two commit together and it reaches an orders service in another process
// (consumer orders.provider_refunds, docs/events.md).
void announceProviderRefund(const events::Outbox& outbox, sql::Session& s, const Payment& p,
                            const std::string& provider_refund_id, std::int64_t amount) {
  json::Writer payload;
  payload.startObject()
      .member("order_id", p.order_id)
      .member("payment_id", p.id)
      .member("provider_refund_id", provider_refund_id)
      .member("amount", amount)
      .member("currency", p.currency)
      .endObject();
  outbox.add(s, kProviderRefundEvent, payload.str());
}

}  // namespace

std::string normalizeGiftCardCode(std::string_view code) {
  std::string out(code);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<StoredPayment> PaymentStore::byIdempotencyKey(const std::string& key) {
  return db_.read([&](sql::Session& s) { return findByKey(s, key); });
}

std::optional<StoredPayment> PaymentStore::latestForOrder(const std::string& order_id) {
  return db_.read([&](sql::Session& s) -> std::optional<StoredPayment> {
    const auto rows = s.execute(kLatestForOrder, {order_id});
    if (rows.empty()) return std::nullopt;
    return readPayment(rows[0]);
  });
}

StoredPayment PaymentStore::insertOrGet(const NewPayment& payment, std::string_view status_value,
                                        std::optional<std::string_view> decline_reason) {
  StoredPayment row = newRow(payment, status_value, decline_reason);
  try {
    db_.write([&](sql::Session& s) { insertPayment(s, row); });
    return row;
  } catch (const sql::Error& e) {
    if (!isUniqueViolation(e)) throw;
  }
  // A concurrent call with the same key won the insert: its row is the payment.
  auto existing = byIdempotencyKey(payment.idempotency_key);
  if (!existing) throw std::logic_error("payment key conflict without a payment row");
  return std::move(*existing);
}

bool PaymentStore::markCaptured(const std::string& payment_id,
                                const std::string& provider_charge_id, const std::string& brand,
                                const std::string& last4) {
  return db_.write([&](sql::Session& s) {
    return s.execute(kMarkCaptured,
                     {payment_id, provider_charge_id, brand, last4, util::nowRfc3339()})
               .affectedRows() == 1;
  });
}

bool PaymentStore::transition(const std::string& payment_id, std::string_view from,
                              std::string_view to, std::optional<std::string_view> decline_reason) {
  return db_.write([&](sql::Session& s) {
    return s.execute(kTransition,
                     {payment_id, from, to, optionalParam(decline_reason), util::nowRfc3339()})
               .affectedRows() == 1;
  });
}

StoredPayment PaymentStore::debitGiftCard(const NewPayment& payment) {
  if (!payment.gift_card_code) throw std::invalid_argument("debitGiftCard without a code");
  const std::string& code = *payment.gift_card_code;
  try {
    return db_.write([&](sql::Session& s) {
      if (auto existing = findByKey(s, payment.idempotency_key)) return std::move(*existing);
      const std::string now = util::nowRfc3339();
      const auto debited =
          s.execute(kDebitGiftCard, {code, payment.amount, payment.currency, now}).affectedRows();
      if (debited == 1) {
        StoredPayment row = newRow(payment, status::kCaptured, std::nullopt);
        insertPayment(s, row);
        s.execute(kInsertLedger, {util::newId("gcl"), code, row.payment.id, -payment.amount, now});
        return row;
      }
      // No debit: tell why, from the card as it is now.
      const auto cards = s.execute(kGiftCard, {code});
      StoredPayment row = cards.empty() ? newRow(payment, status::kFailed, reason::kUnknownGiftCard)
                          : cards[0].getText(2) != payment.currency
                              ? newRow(payment, status::kFailed, reason::kCurrencyMismatch)
                              : newRow(payment, status::kDeclined, reason::kInsufficientFunds);
      insertPayment(s, row);
      return row;
    });
  } catch (const sql::Error& e) {
    if (!isUniqueViolation(e)) throw;
  }
  // A concurrent call with the same key committed first; its debit stands alone.
  auto existing = byIdempotencyKey(payment.idempotency_key);
  if (!existing) throw std::logic_error("payment key conflict without a payment row");
  return std::move(*existing);
}

bool PaymentStore::markRefunded(const StoredPayment& payment, std::string_view from,
                                const std::optional<std::string>& provider_refund_id,
                                RefundOrigin origin) {
  const bool marked = db_.write([&](sql::Session& s) {
    const std::string now = util::nowRfc3339();
    const auto& p = payment.payment;
    const auto current = s.execute(kRefundedAmount, {p.id});
    if (current.empty()) return false;
    const std::int64_t before = current[0].getInt64(0);
    if (s.execute(kMarkRefunded, {p.id, from, before, now}).affectedRows() != 1) return false;
    const std::int64_t rest = p.amount - before;
    s.execute(kInsertRefund,
              {util::newId("ref"), p.id, rest, optionalParam(provider_refund_id), now, nullptr});
    if (p.method == Method::kGiftCard && payment.gift_card_code && rest > 0) {
      s.execute(kCreditGiftCard, {*payment.gift_card_code, rest, now});
      s.execute(kInsertLedger, {util::newId("gcl"), *payment.gift_card_code, p.id, rest, now});
    }
    // A provider that names no refund: the payment's id stands for it, so
    // the order still books it once.
    if (origin == RefundOrigin::kProvider && rest > 0) {
      announceProviderRefund(outbox_, s, p, provider_refund_id.value_or(p.id), rest);
    }
    return true;
  });
  if (marked && origin == RefundOrigin::kProvider) outbox_.committed();
  return marked;
}

PaymentStore::RefundRecord PaymentStore::recordRefund(
    const StoredPayment& payment, const std::string& key, std::int64_t amount,
    const std::optional<std::string>& provider_refund_id, RefundOrigin origin) {
  if (amount <= 0) return RefundRecord::kRefused;
  try {
    const RefundRecord record = db_.write([&](sql::Session& s) {
      if (!s.execute(kRefundByKey, {key}).empty()) return RefundRecord::kReplayed;
      const std::string now = util::nowRfc3339();
      const auto& p = payment.payment;
      if (s.execute(kAddRefund, {p.id, amount, now}).affectedRows() != 1) {
        return RefundRecord::kRefused;
      }
      s.execute(kInsertRefund,
                {util::newId("ref"), p.id, amount, optionalParam(provider_refund_id), now, key});
      if (p.method == Method::kGiftCard && payment.gift_card_code) {
        s.execute(kCreditGiftCard, {*payment.gift_card_code, amount, now});
        s.execute(kInsertLedger, {util::newId("gcl"), *payment.gift_card_code, p.id, amount, now});
      }
      if (origin == RefundOrigin::kProvider) {
        announceProviderRefund(outbox_, s, p, provider_refund_id.value_or(key), amount);
      }
      return RefundRecord::kRecorded;
    });
    if (record == RefundRecord::kRecorded && origin == RefundOrigin::kProvider) {
      outbox_.committed();
    }
    return record;
  } catch (const sql::Error& e) {
    // The same key, concurrently: the other call recorded it.
    if (!isUniqueViolation(e)) throw;
    return RefundRecord::kReplayed;
  }
}

bool PaymentStore::refundExists(const std::string& key) {
  return db_.read([&](sql::Session& s) { return !s.execute(kRefundByKey, {key}).empty(); });
}

bool PaymentStore::providerRefundKnown(const std::string& payment_id,
                                       const std::string& provider_refund_id) {
  return db_.read([&](sql::Session& s) {
    return !s.execute(kRefundByProviderId, {payment_id, provider_refund_id}).empty();
  });
}

std::optional<GiftCard> PaymentStore::createGiftCard(std::string_view code, std::int64_t balance,
                                                     const std::string& currency) {
  GiftCard card{normalizeGiftCardCode(code), balance, currency, util::nowRfc3339(), {}};
  card.updated_at = card.created_at;
  try {
    db_.write([&](sql::Session& s) {
      s.execute(kInsertGiftCard, {card.code, card.balance, card.currency, card.created_at});
      s.execute(kInsertLedger, {util::newId("gcl"), card.code, nullptr, balance, card.created_at});
    });
  } catch (const sql::Error& e) {
    if (isUniqueViolation(e)) return std::nullopt;
    throw;
  }
  return card;
}

std::optional<GiftCard> PaymentStore::giftCard(std::string_view code) {
  const std::string normalized = normalizeGiftCardCode(code);
  return db_.read([&](sql::Session& s) -> std::optional<GiftCard> {
    const auto rows = s.execute(kGiftCard, {normalized});
    if (rows.empty()) return std::nullopt;
    return readGiftCard(rows[0]);
  });
}

std::string PaymentStore::claimCardToken(const std::string& token, const std::string& payer) {
  return db_.write([&](sql::Session& s) {
    s.execute(kClaimToken, {token, payer, util::nowRfc3339()});
    const auto rows = s.execute(kTokenOwner, {token});
    if (rows.empty()) throw std::logic_error("card token claimed without an owner");
    return rows[0].getText(0);
  });
}

void PaymentStore::releaseCardToken(const std::string& token, const std::string& payer) {
  db_.write([&](sql::Session& s) { s.execute(kReleaseToken, {token, payer}); });
}

std::vector<StoredPayment> PaymentStore::capturedCardPayments(const std::string& since,
                                                              const std::string& after_id,
                                                              std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    std::vector<StoredPayment> out;
    for (const auto& row :
         s.execute(kCapturedCards, {since, after_id, static_cast<std::int64_t>(limit)})) {
      out.push_back(readPayment(row));
    }
    return out;
  });
}

}  // namespace emporium::payments
