#include "services/orders/checkout/payment.hpp"

namespace emporium::orders::checkout {

payments::ChargeRequest chargeFor(const Order& order, const CheckoutRequest& request) {
  payments::ChargeRequest charge;
  charge.order_id = order.id;
  charge.idempotency_key = order.id;  // one payment per order: a retried step never pays twice
  charge.method = request.method;
  charge.card_token = request.card_token;
  charge.gift_card_code = request.gift_card_code;
  // A card token pays for one payer only (see payments::ChargeRequest::payer).
  charge.payer = request.user_id.empty() ? "cart:" + request.cart_id : "user:" + request.user_id;
  charge.client_address = request.client_address;
  charge.amount = order.totals.total;
  charge.currency = order.currency;
  return charge;
}

std::string paymentStatusAfter(payments::ChargeOutcome outcome) {
  switch (outcome) {
    case payments::ChargeOutcome::kCaptured:
      return "captured";
    case payments::ChargeOutcome::kPending:
      return "pending";
    case payments::ChargeOutcome::kDeclined:
    case payments::ChargeOutcome::kInsufficientFunds:
    case payments::ChargeOutcome::kInvalid:
      return "declined";
    case payments::ChargeOutcome::kThrottled:
      return "not_charged";
    case payments::ChargeOutcome::kUnavailable:
      break;
  }
  return "failed";
}

ChargeVerdict afterCharge(const payments::ChargeResult& charged, payments::Method method) {
  using Outcome = payments::ChargeOutcome;
  ChargeVerdict verdict;
  verdict.failed.to = OrderStatus::kFailed;
  verdict.failed.stock_effect = StockEffect::kRelease;
  verdict.failed.payment_status = paymentStatusAfter(charged.outcome);
  if (charged.payment) verdict.failed.payment_id = charged.payment->id;
  CheckoutRefusal refusal;
  refusal.detail = charged.detail;
  switch (charged.outcome) {
    case Outcome::kCaptured:
    case Outcome::kPending:
      return verdict;
    case Outcome::kDeclined:
    case Outcome::kInsufficientFunds:
      refusal.kind = charged.outcome == Outcome::kInsufficientFunds
                         ? CheckoutRefusal::kInsufficientFunds
                         : CheckoutRefusal::kDeclined;
      verdict.failed.note = "payment declined";
      break;
    case Outcome::kInvalid:
      refusal.kind = CheckoutRefusal::kPaymentInvalid;
      refusal.field = method == payments::Method::kGiftCard ? "payment.code" : "payment.token";
      verdict.failed.note = "payment not usable";
      break;
    case Outcome::kThrottled:
      // Not replayed under the key: once the window passes, the same request may go through.
      refusal.kind = CheckoutRefusal::kThrottled;
      refusal.retry_after = charged.retry_after;
      verdict.failed.note = "too many wrong gift card codes";
      verdict.keep_key = false;
      break;
    case Outcome::kUnavailable:
      refusal.kind = CheckoutRefusal::kProviderUnavailable;
      refusal.detail.clear();
      verdict.failed.note = "payment provider unavailable";
      // The provider may have taken the money before the line went quiet: the
      // refund effect asks it by idempotency key and gives it back.
      verdict.failed.payment_effect = PaymentEffect::kRefund;
      verdict.keep_key = false;
      break;
  }
  verdict.refusal = std::move(refusal);
  return verdict;
}

}  // namespace emporium::orders::checkout
