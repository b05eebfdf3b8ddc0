#pragma once
// payments::Client for suites that test another service: charges answer the
// outcome the test sets (captured by default), idempotent per key; refunds
// follow the contract (nothing to give back without a captured payment, one
// refund per key, never above what was captured). With holdCharges(), a
// charge waits until releaseCharges(): a payment still running at the
// provider. Thread-safe, as the real one is.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/payments/client.hpp"

namespace emporium::test {

class FakePayments final : public payments::Client {
 public:
  payments::ChargeResult charge(const payments::ChargeRequest& request) override {
    std::unique_lock lock(mutex_);
    ++charging_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !hold_charges_; });
    if (const auto it = charges_.find(request.idempotency_key); it != charges_.end()) {
      return it->second;  // the first outcome, never a second charge
    }
    payments::ChargeResult result;
    result.outcome = outcome;
    if (outcome == payments::ChargeOutcome::kCaptured) {
      payments::Payment p;
      p.id = "pay_" + request.order_id;
      p.order_id = request.order_id;
      p.method = request.method;
      p.status = "captured";
      p.amount = request.amount;
      p.currency = request.currency;
      result.payment = p;
      captured_.push_back(p);
    }
    charges_.emplace(request.idempotency_key, result);
    return result;
  }

  payments::RefundOutcome refund(const std::string& order_id) override {
    const std::lock_guard lock(mutex_);
    auto* payment = capturedFor(order_id);
    if (payment == nullptr || payment->refunded_amount >= payment->amount) {
      return payments::RefundOutcome::kNothingToDo;
    }
    refunded_amount_ += payment->amount - payment->refunded_amount;
    payment->refunded_amount = payment->amount;
    ++refunds;
    return payments::RefundOutcome::kRefunded;
  }

  payments::RefundOutcome refundPart(const std::string& order_id, const std::string& key,
                                     std::int64_t amount) override {
    const std::lock_guard lock(mutex_);
    auto* payment = capturedFor(order_id);
    if (payment == nullptr) return payments::RefundOutcome::kNothingToDo;
    if (refund_keys_.contains(key)) return payments::RefundOutcome::kRefunded;
    if (payment->refunded_amount + amount > payment->amount) {
      ++over_asked;  // the real one refuses it too (the provider says "too large")
      return payments::RefundOutcome::kNothingToDo;
    }
    refund_keys_.insert(key);
    payment->refunded_amount += amount;
    refunded_amount_ += amount;
    ++refunds;
    return payments::RefundOutcome::kRefunded;
  }

  void markCollected(const std::string& /*order_id*/) override {}

  std::optional<payments::Payment> forOrder(const std::string& order_id) override {
    const std::lock_guard lock(mutex_);
    const auto* payment = capturedFor(order_id);
    if (payment == nullptr) return std::nullopt;
    return *payment;
  }

  /// Everything refunded so far, in minor units.
  std::int64_t refundedAmount() {
    const std::lock_guard lock(mutex_);
    return refunded_amount_;
  }
  void holdCharges() {
    const std::lock_guard lock(mutex_);
    hold_charges_ = true;
  }
  void releaseCharges() {
    const std::lock_guard lock(mutex_);
    hold_charges_ = false;
    changed_.notify_all();
  }
  /// True once a charge() has started (held or not) within the timeout.
  bool waitUntilCharging(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return charging_ > 0; });
  }

  /// What the next new charge answers.
  std::atomic<payments::ChargeOutcome> outcome{payments::ChargeOutcome::kCaptured};
  std::atomic<int> refunds{0};     // refunds that moved money
  std::atomic<int> over_asked{0};  // refundPart() above what was left, refused

 private:
  payments::Payment* capturedFor(const std::string& order_id) {
    for (auto& p : captured_) {
      if (p.order_id == order_id) return &p;
    }
    return nullptr;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  int charging_ = 0;
  bool hold_charges_ = false;
  std::map<std::string, payments::ChargeResult> charges_;  // by idempotency key
  std::vector<payments::Payment> captured_;
  std::set<std::string> refund_keys_;
  std::int64_t refunded_amount_ = 0;
};

}  // namespace emporium::test
