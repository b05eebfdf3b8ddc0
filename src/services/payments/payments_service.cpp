#include "services/payments/payments_service.hpp"

#include <stdexcept>
#include <variant>

namespace emporium::payments {
namespace {

constexpr std::size_t kMaxKeyBytes = 200;
constexpr std::size_t kMaxTokenBytes = 200;
constexpr std::size_t kMaxGiftCodeBytes = 32;

bool printableAscii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool currencyCode(std::string_view text) {
  if (text.size() != 3) return false;
  for (const char c : text) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

std::string detailFor(const StoredPayment& p) {
  const std::string_view r = p.decline_reason ? std::string_view(*p.decline_reason) : "";
  if (r == reason::kCardDeclined) return "the card was declined";
  if (r == reason::kInsufficientFunds) {
    return p.payment.method == Method::kGiftCard ? "the gift card balance is too low"
                                                 : "the card has insufficient funds";
  }
  if (r == reason::kInvalidToken) return "the card token is unknown or unusable";
  // One answer for every code that does not pay here, so a guesser cannot
  // tell an existing card (in another currency) from none. (Gift cards have
  // no disabled state; one would answer this too.)
  if (r == reason::kUnknownGiftCard || r == reason::kCurrencyMismatch) {
    return "no gift card with this code";
  }
  if (r == reason::kAbandoned) return "the payment was given up after the order was cancelled";
  if (p.payment.status == status::kPending && p.payment.method == Method::kCard) {
    return "the card provider did not answer; the payment is being checked";
  }
  return {};
}

ChargeResult resultOf(const StoredPayment& p) { return {outcomeOf(p), p.payment, detailFor(p)}; }

}  // namespace

ChargeOutcome outcomeOf(const StoredPayment& p) {
  const std::string& s = p.payment.status;
  const bool cod = p.payment.method == Method::kCashOnDelivery;
  const std::string_view r = p.decline_reason ? std::string_view(*p.decline_reason) : "";
  // Given up while its charge was unanswered (any late charge was returned):
  // from the buyer's side, the payment never went through.
  if (r == reason::kAbandoned) return ChargeOutcome::kUnavailable;
  if (s == status::kCaptured || s == status::kRefunded) return ChargeOutcome::kCaptured;
  if (s == status::kPending || s == status::kVoided) {
    // A card payment still pending is one whose provider call did not answer.
    return cod ? ChargeOutcome::kPending : ChargeOutcome::kUnavailable;
  }
  if (s == status::kDeclined) {
    return r == reason::kInsufficientFunds ? ChargeOutcome::kInsufficientFunds
                                           : ChargeOutcome::kDeclined;
  }
  if (r == reason::kInvalidToken || r == reason::kUnknownGiftCard ||
      r == reason::kCurrencyMismatch) {
    return ChargeOutcome::kInvalid;
  }
  return ChargeOutcome::kUnavailable;
}

std::string providerChargeKey(const StoredPayment& payment) { return payment.payment.id; }
std::string providerRefundKey(const StoredPayment& payment) {
  return payment.payment.id + ":refund";
}
std::string providerPartRefundKey(const StoredPayment& payment, const std::string& key) {
  return providerRefundKey(payment) + ":" + key;
}

std::optional<std::string> checkChargeRequest(const ChargeRequest& r) {
  if (r.order_id.empty()) return "order_id is required";
  if (r.idempotency_key.empty() || r.idempotency_key.size() > kMaxKeyBytes ||
      !printableAscii(r.idempotency_key)) {
    return "idempotency_key must be 1 to 200 printable ASCII characters";
  }
  if (r.amount <= 0) return "amount must be greater than zero";
  if (!currencyCode(r.currency)) return "currency must be an ISO 4217 code such as USD";
  switch (r.method) {
    case Method::kCard:
      if (r.card_token.empty() || r.card_token.size() > kMaxTokenBytes ||
          !printableAscii(r.card_token)) {
        return "a card payment needs the provider's token";
      }
      if (r.payer.empty()) return "a card payment needs its payer";
      break;
    case Method::kGiftCard:
      if (r.gift_card_code.empty() || r.gift_card_code.size() > kMaxGiftCodeBytes ||
          !printableAscii(r.gift_card_code)) {
        return "a gift card payment needs the card's code";
      }
      break;
    case Method::kCashOnDelivery:
      break;
  }
  return std::nullopt;
}

ChargeResult PaymentsService::chargeGiftCard(const ChargeRequest& request,
                                             const NewPayment& payment) {
  if (gift_card_guard_ == nullptr) return resultOf(store_.debitGiftCard(payment));
  auto verdict = gift_card_guard_->admit(request.payer, request.client_address);
  if (const auto* refusal = std::get_if<ratelimit::AttemptRefusal>(&verdict)) {
    ChargeResult throttled{ChargeOutcome::kThrottled, std::nullopt,
                           "too many wrong gift card codes were tried from this account or "
                           "address; try again later, or pay another way"};
    throttled.retry_after = refusal->retry_after;
    return throttled;
  }
  auto result = resultOf(store_.debitGiftCard(payment));
  // Only a code that does not work here (unknown, or another currency's) is a guess.
  if (result.outcome != ChargeOutcome::kInvalid) {
    gift_card_guard_->succeeded(std::get<ratelimit::AttemptAdmission>(verdict));
  }
  return result;
}

ChargeResult PaymentsService::charge(const ChargeRequest& request) {
  if (auto problem = checkChargeRequest(request)) {
    return {ChargeOutcome::kInvalid, std::nullopt, std::move(*problem)};
  }
  NewPayment n;
  n.order_id = request.order_id;
  n.idempotency_key = request.idempotency_key;
  n.method = request.method;
  n.amount = request.amount;
  n.currency = request.currency;
  if (request.method == Method::kCard) n.card_token = request.card_token;
  if (request.method == Method::kGiftCard) {
    n.gift_card_code = normalizeGiftCardCode(request.gift_card_code);
  }

  if (auto existing = store_.byIdempotencyKey(request.idempotency_key)) {
    const auto& p = existing->payment;
    if (p.method != request.method || p.amount != request.amount ||
        p.currency != request.currency || p.order_id != request.order_id) {
      return {ChargeOutcome::kInvalid, std::nullopt,
              "this idempotency key was used for a different payment"};
    }
    // Unanswered before: ask the provider again under the same key, which
    // returns the first charge if it was made and makes it if not.
    if (p.status == status::kPending && p.method == Method::kCard) {
      return chargeCard(*existing, request.payer);
    }
    return resultOf(*existing);
  }

  switch (request.method) {
    case Method::kCashOnDelivery:
      return resultOf(store_.insertOrGet(n, status::kPending));
    case Method::kGiftCard:
      return chargeGiftCard(request, n);
    case Method::kCard: {
      // Anyone can tokenize, so a token seen at checkout may be someone
      // else's (copied from their browser, or guessed from a log): it pays
      // for the first payer that used it only.
      if (store_.claimCardToken(request.card_token, request.payer) != request.payer) {
        return {ChargeOutcome::kInvalid, std::nullopt,
                "was used by another customer; tokenize the card again"};
      }
      // Stored before the provider is called: whatever happens next, the
      // payment exists and its key lets a retry or a refund find the charge.
      const auto pending = store_.insertOrGet(n, status::kPending);
      if (pending.payment.status != status::kPending) return resultOf(pending);
      return chargeCard(pending, request.payer);
    }
  }
  throw std::logic_error("unknown payment method");
}

ChargeResult PaymentsService::chargeCard(const StoredPayment& pending, const std::string& payer) {
  const auto& p = pending.payment;
  const auto answer = provider_.charge(pending.card_token.value_or(""), p.amount, p.currency,
                                       providerChargeKey(pending), payer);
  switch (answer.status) {
    case ProviderStatus::kApproved:
      if (!store_.markCaptured(p.id, answer.charge_id, answer.brand, answer.last4)) {
        if (auto now = store_.byIdempotencyKey(pending.idempotency_key);
            now && now->payment.status == status::kFailed &&
            now->decline_reason == reason::kAbandoned) {
          returnOrphanCharge(*now);
        }
      }
      break;
    case ProviderStatus::kDeclined:
      store_.transition(p.id, status::kPending, status::kDeclined, reason::kCardDeclined);
      break;
    case ProviderStatus::kInsufficientFunds:
      store_.transition(p.id, status::kPending, status::kDeclined, reason::kInsufficientFunds);
      break;
    case ProviderStatus::kInvalidToken:
      store_.transition(p.id, status::kPending, status::kFailed, reason::kInvalidToken);
      // Someone presenting a token bound to another customer must not keep
      // it from its owner by having claimed it first. Only on the provider's
      // word that the token is another's: this payer can then never have
      // paid with it, so no claim of theirs that a payment rests on goes.
      if (answer.bound_to_another_customer && pending.card_token) {
        store_.releaseCardToken(*pending.card_token, payer);
      }
      break;
    case ProviderStatus::kUnavailable: {
      // The charge may or may not exist: the row stays pending, and a retry
      // of charge() or a refund() settles it by key.
      logger_.warn("card charge unanswered",
                   {{"payment_id", p.id}, {"order_id", p.order_id}, {"detail", answer.detail}});
      return {ChargeOutcome::kUnavailable, p, answer.detail};
    }
  }
  auto now = store_.byIdempotencyKey(pending.idempotency_key);
  if (!now) throw std::logic_error("payment " + p.id + " vanished");
  return resultOf(*now);
}

void PaymentsService::returnOrphanCharge(const StoredPayment& payment) {
  const auto answer = provider_.refund(providerChargeKey(payment), providerRefundKey(payment), 0);
  if (answer.status == ProviderRefundStatus::kRefunded) {
    store_.markRefunded(payment, status::kFailed, answer.refund_id);
    logger_.warn("late card charge refunded",
                 {{"payment_id", payment.payment.id}, {"order_id", payment.payment.order_id}});
    return;
  }
  // Money was taken for an order that gave the payment up, and it cannot be
  // returned now: someone has to.
  logger_.error("late card charge needs a manual refund", {{"payment_id", payment.payment.id},
                                                           {"order_id", payment.payment.order_id},
                                                           {"detail", answer.detail}});
}

RefundOutcome PaymentsService::refund(const std::string& order_id) {
  // Each pass acts on the payment as read; a concurrent charge or refund
  // that changed it in between (nullopt from a step) makes the next pass
  // read it again.
  constexpr int kPasses = 3;
  for (int pass = 0; pass < kPasses; ++pass) {
    const auto found = store_.latestForOrder(order_id);
    if (!found) return RefundOutcome::kNothingToDo;
    if (const auto outcome = refundStep(*found)) return *outcome;
  }
  throw std::runtime_error("payment of order " + order_id + " keeps changing during a refund");
}

std::optional<RefundOutcome> PaymentsService::refundStep(const StoredPayment& payment) {
  const auto& p = payment.payment;
  // Captured, perhaps partly refunded already: what is left goes back.
  const bool captured = p.status == status::kCaptured;
  const bool pending = p.status == status::kPending;
  if (!captured && !pending) return RefundOutcome::kNothingToDo;
  if (p.method == Method::kCard) return refundCard(payment);
  // Gift card: the balance is credited back in the same transaction. Cash
  // already collected is paid back by hand; the record says it was.
  const bool done = captured ? store_.markRefunded(payment, p.status, std::nullopt)
                             // Cash not collected yet: nothing to give back.
                             : store_.transition(p.id, status::kPending, status::kVoided);
  if (!done) return std::nullopt;
  return RefundOutcome::kRefunded;
}

std::optional<RefundOutcome> PaymentsService::refundCard(const StoredPayment& payment) {
  const auto& p = payment.payment;
  // Amount 0: all that is left after any partial refunds.
  const auto answer = provider_.refund(providerChargeKey(payment), providerRefundKey(payment), 0);
  switch (answer.status) {
    case ProviderRefundStatus::kRefunded:
      if (!store_.markRefunded(payment, p.status, answer.refund_id)) return std::nullopt;
      return RefundOutcome::kRefunded;
    case ProviderRefundStatus::kTooLarge: {
      // "All that is left" was more than is left now: either everything was
      // refunded at the provider already (reconciliation records it), or a
      // partial refund settled between the provider's read and its write.
      const auto state = provider_.chargeState(providerChargeKey(payment));
      if (state.lookup == ProviderChargeLookup::kFound && state.refunded) {
        logger_.warn("card refund found nothing left to refund", {{"payment_id", p.id}});
        return RefundOutcome::kNothingToDo;
      }
      // Something is left: ask again with the payment read afresh. When the
      // provider cannot say, the refund stays due and is retried later.
      if (state.lookup == ProviderChargeLookup::kFound) return std::nullopt;
      return RefundOutcome::kUnavailable;
    }
    case ProviderRefundStatus::kNoSuchCharge:
      if (p.status == status::kCaptured) {
        // We hold the provider's charge id, yet it knows no such charge.
        throw std::runtime_error("card provider knows no charge for captured payment " + p.id);
      }
      // Never charged: nothing to give back, and a late charge will find the
      // payment given up (see returnOrphanCharge).
      if (!store_.transition(p.id, status::kPending, status::kFailed, reason::kAbandoned)) {
        return std::nullopt;
      }
      return RefundOutcome::kNothingToDo;
    case ProviderRefundStatus::kUnavailable:
      logger_.warn("card refund unanswered", {{"payment_id", p.id}, {"detail", answer.detail}});
      return RefundOutcome::kUnavailable;
  }
  return RefundOutcome::kUnavailable;
}

RefundOutcome PaymentsService::refundPart(const std::string& order_id, const std::string& key,
                                          std::int64_t amount) {
  if (amount <= 0 || key.empty()) throw std::invalid_argument("refundPart needs a key and amount");
  // Each pass acts on the payment as read; the store's write is conditional,
  // so a concurrent change makes the next pass read it again.
  constexpr int kPasses = 3;
  for (int pass = 0; pass < kPasses; ++pass) {
    if (store_.refundExists(key)) return RefundOutcome::kRefunded;  // done before
    const auto found = store_.latestForOrder(order_id);
    if (!found) return RefundOutcome::kNothingToDo;
    const auto& p = found->payment;
    const bool cod_pending = p.method == Method::kCashOnDelivery && p.status == status::kPending;
    if (p.status != status::kCaptured && !cod_pending) {
      return RefundOutcome::kNothingToDo;
    }
    std::optional<std::string> provider_refund_id;
    if (p.method == Method::kCard) {
      // The provider keeps one refund per key: a retry after a lost answer
      // or a crash never refunds twice.
      const auto answer =
          provider_.refund(providerChargeKey(*found), providerPartRefundKey(*found, key), amount);
      switch (answer.status) {
        case ProviderRefundStatus::kRefunded:
          provider_refund_id = answer.refund_id;
          break;
        case ProviderRefundStatus::kUnavailable:
          logger_.warn("card refund unanswered", {{"payment_id", p.id}, {"detail", answer.detail}});
          return RefundOutcome::kUnavailable;
        case ProviderRefundStatus::kNoSuchCharge:
          throw std::runtime_error("card provider knows no charge for captured payment " + p.id);
        case ProviderRefundStatus::kTooLarge:
          logger_.error("card provider refused a refund above what is left of the charge",
                        {{"payment_id", p.id}, {"refund_key", key}, {"amount", amount}});
          return RefundOutcome::kNothingToDo;
      }
    }
    switch (store_.recordRefund(*found, key, amount, provider_refund_id)) {
      case PaymentStore::RefundRecord::kRecorded:
      case PaymentStore::RefundRecord::kReplayed:
        return RefundOutcome::kRefunded;
      case PaymentStore::RefundRecord::kRefused:
        break;  // changed meanwhile (or over what is left): read it again
    }
  }
  logger_.error("partial refund could not be recorded",
                {{"order_id", order_id}, {"refund_key", key}, {"amount", amount}});
  return RefundOutcome::kNothingToDo;
}

void PaymentsService::markCollected(const std::string& order_id) {
  const auto found = store_.latestForOrder(order_id);
  if (!found || found->payment.method != Method::kCashOnDelivery) return;
  store_.transition(found->payment.id, status::kPending, status::kCaptured);
}

std::optional<Payment> PaymentsService::forOrder(const std::string& order_id) {
  auto found = store_.latestForOrder(order_id);
  if (!found) return std::nullopt;
  auto& p = found->payment;
  if (p.status == status::kCaptured && p.refunded_amount > 0) {
    p.status = std::string(status::kPartiallyRefunded);
  }
  return std::move(p);
}

std::optional<GiftCard> PaymentsService::createGiftCard(std::string_view code, std::int64_t balance,
                                                        const std::string& currency) {
  return store_.createGiftCard(code, balance, currency);
}

std::optional<GiftCard> PaymentsService::giftCard(std::string_view code) {
  return store_.giftCard(code);
}

bool PaymentsService::recordProviderRefund(const StoredPayment& payment,
                                           const std::string& refund_id, std::size_t position,
                                           std::int64_t amount) {
  // A refund the provider lists without an id is known by its place in the
  // payment's list: "provider:" alone would make every such refund of every
  // payment one refund.
  const std::string key = refund_id.empty()
                              ? "provider:" + payment.payment.id + ":" + std::to_string(position)
                              : "provider:" + refund_id;
  const std::optional<std::string> provider_id =
      refund_id.empty() ? std::nullopt : std::optional<std::string>(refund_id);
  // Recorded and announced to orders in one transaction (the outbox).
  const auto recorded =
      store_.recordRefund(payment, key, amount, provider_id, RefundOrigin::kProvider);
  if (recorded != PaymentStore::RefundRecord::kRecorded) return false;
  logger_.warn("refund made at the card provider recorded", {{"payment_id", payment.payment.id},
                                                             {"order_id", payment.payment.order_id},
                                                             {"refund_id", refund_id},
                                                             {"amount", amount}});
  return true;
}

ReconcileReport PaymentsService::reconcileRefunds(const std::string& since, std::size_t limit) {
  const std::lock_guard lock(reconcile_mutex_);
  ReconcileReport report;
  auto page = store_.capturedCardPayments(since, reconcile_after_, limit);
  if (page.empty() && !reconcile_after_.empty()) {
    reconcile_after_.clear();  // through the list: start over
    page = store_.capturedCardPayments(since, reconcile_after_, limit);
  }
  for (const auto& payment : page) {
    reconcile_after_ = payment.payment.id;
    ++report.checked;
    const auto state = provider_.chargeState(providerChargeKey(payment));
    if (state.lookup == ProviderChargeLookup::kUnavailable) {
      ++report.unanswered;
      continue;
    }
    if (state.lookup == ProviderChargeLookup::kNoSuchCharge) {
      // We hold its charge id: the provider forgetting it needs a human.
      logger_.error("card provider knows no charge for a captured payment",
                    {{"payment_id", payment.payment.id}, {"order_id", payment.payment.order_id}});
      continue;
    }
    // Refunds the provider lists whose key is not one of ours (every refund
    // we ask for starts with providerRefundKey) were made there directly. A
    // provider that does not echo keys is matched by its refund id instead,
    // so none of our own refunds is booked a second time.
    bool listed_any = false;
    std::size_t position = 0;
    for (const auto& refund : state.refunds) {
      listed_any = true;
      ++position;
      if (refund.idempotency_key.starts_with(providerRefundKey(payment)) || refund.amount <= 0) {
        continue;
      }
      if (!refund.id.empty() && store_.providerRefundKnown(payment.payment.id, refund.id)) {
        continue;
      }
      if (recordProviderRefund(payment, refund.id, position, refund.amount)) ++report.refunded;
    }
    if (listed_any || !state.refunded) continue;
    // A provider that lists no refunds but says "refunded": all that is left.
    const std::optional<std::string> refund_id =
        state.refund_id.empty() ? std::nullopt : std::optional<std::string>(state.refund_id);
    // Conditional on the status read: a refund of ours racing this pass wins once.
    if (store_.markRefunded(payment, payment.payment.status, refund_id, RefundOrigin::kProvider)) {
      ++report.refunded;
      logger_.warn("refund made at the card provider recorded",
                   {{"payment_id", payment.payment.id},
                    {"order_id", payment.payment.order_id},
                    {"refund_id", state.refund_id}});
    }
  }
  return report;
}

}  // namespace emporium::payments
