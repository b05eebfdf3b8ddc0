#pragma once
// payments::CardProvider for tests of the payments service: a card processor
// in memory that keeps one charge per key and one refund per key (as real
// processors do), can be made unreachable, can lose its answers, and can bind
// a token to one customer. Its knobs are set between calls.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "services/payments/provider/card_provider.hpp"

namespace emporium::test {

// A card processor in memory. Tokens: "tok_ok" approves, "tok_decline",
// "tok_nsf" and "tok_bad" answer as their names say.
class FakeCardProvider final : public payments::CardProvider {
 public:
  using ProviderCharge = payments::ProviderCharge;
  using ProviderChargeLookup = payments::ProviderChargeLookup;
  using ProviderChargeState = payments::ProviderChargeState;
  using ProviderRefund = payments::ProviderRefund;
  using ProviderRefundEntry = payments::ProviderRefundEntry;
  using ProviderRefundStatus = payments::ProviderRefundStatus;
  using ProviderStatus = payments::ProviderStatus;

  ProviderCharge charge(const std::string& token, std::int64_t amount, const std::string&,
                        const std::string& key, const std::string& customer) override {
    ++charge_calls;
    if (before_charge) before_charge();
    const std::lock_guard lock(mutex_);
    if (!reachable) return {ProviderStatus::kUnavailable, {}, {}, {}, "unreachable"};
    if (const auto owner = bound.find(token); owner != bound.end() && owner->second != customer) {
      return {ProviderStatus::kInvalidToken, {}, {}, {}, "another customer's", true};
    }
    if (refuse_next_as_unusable) {
      refuse_next_as_unusable = false;
      return {ProviderStatus::kInvalidToken, {}, {}, {}, "unusable"};
    }
    if (token == "tok_decline") return {ProviderStatus::kDeclined, {}, {}, {}, "declined"};
    if (token == "tok_nsf") return {ProviderStatus::kInsufficientFunds, {}, {}, {}, "nsf"};
    if (token == "tok_bad") return {ProviderStatus::kInvalidToken, {}, {}, {}, "bad token"};
    auto [it, created] =
        charges_.try_emplace(key, Record{"ch_" + std::to_string(++next_id_), amount, false});
    if (created) ++charges_made;
    if (lose_answers > 0) {
      --lose_answers;  // charged, but the answer never arrives
      return {ProviderStatus::kUnavailable, {}, {}, {}, "timeout"};
    }
    return {ProviderStatus::kApproved, it->second.id, "visa", "4242", {}};
  }

  ProviderRefund refund(const std::string& charge_key, const std::string& refund_key,
                        std::int64_t amount) override {
    ++refund_calls;
    const std::lock_guard lock(mutex_);
    last_refund_key = refund_key;
    if (!reachable) return {ProviderRefundStatus::kUnavailable, {}, {}, "unreachable"};
    const auto it = charges_.find(charge_key);
    if (it == charges_.end()) return {ProviderRefundStatus::kNoSuchCharge, {}, {}, "none"};
    // One refund per key, several per charge up to its amount (0: the rest).
    if (const auto done = refund_keys_.find(refund_key); done != refund_keys_.end()) {
      return {ProviderRefundStatus::kRefunded, done->second, it->second.id, {}};
    }
    const std::int64_t left = it->second.amount - it->second.refunded_amount;
    const std::int64_t part = amount == 0 ? left : amount;
    if (part > left || (part == 0 && !it->second.refunded)) {
      return {ProviderRefundStatus::kTooLarge, {}, {}, "too large"};
    }
    if (part > 0) ++refunds_made;
    it->second.refunded_amount += part;
    it->second.refunded = it->second.refunded_amount >= it->second.amount;
    const std::string id = "re_" + it->second.id + "_" + std::to_string(refunds_made.load());
    refund_keys_[refund_key] = id;
    it->second.listed.push_back({id, refund_key, part});
    return {ProviderRefundStatus::kRefunded, id, it->second.id, {}};
  }

  ProviderChargeState chargeState(const std::string& charge_key) override {
    ++state_calls;
    const std::lock_guard lock(mutex_);
    if (!reachable) return {ProviderChargeLookup::kUnavailable, false, {}, "unreachable"};
    const auto it = charges_.find(charge_key);
    if (it == charges_.end()) return {ProviderChargeLookup::kNoSuchCharge, false, {}, {}};
    ProviderChargeState state{ProviderChargeLookup::kFound,
                              it->second.refunded,
                              it->second.refunded ? "re_" + it->second.id : "",
                              {}};
    if (list_refunds) {
      state.amount_refunded = it->second.refunded_amount;
      for (auto entry : it->second.listed) {
        if (!echo_refund_keys) entry.idempotency_key.clear();
        state.refunds.push_back(std::move(entry));
      }
    }
    return state;
  }

  /// A refund made at the provider's console: the shop is not told.
  void refundBehindOurBack(const std::string& charge_key) {
    const std::lock_guard lock(mutex_);
    auto& charge = charges_.at(charge_key);
    charge.refunded = true;
    charge.refunded_amount = charge.amount;
  }

  bool refunded(const std::string& charge_key) {
    const std::lock_guard lock(mutex_);
    const auto it = charges_.find(charge_key);
    return it != charges_.end() && it->second.refunded;
  }

  std::atomic<int> charge_calls{0};
  std::atomic<int> refund_calls{0};
  std::atomic<int> state_calls{0};
  std::atomic<int> charges_made{0};
  std::atomic<int> refunds_made{0};
  // Guarded by mutex_ in the calls; tests set them between calls.
  bool reachable = true;
  int lose_answers = 0;
  bool refuse_next_as_unusable = false;      // the next charge: kInvalidToken, no reason given
  std::map<std::string, std::string> bound;  // token -> the only customer it pays for
  bool list_refunds = false;                 // chargeState lists each refund
  bool echo_refund_keys = true;              // ... with the key it was asked under

  std::string last_refund_key;
  /// Runs at the start of every charge, before the charge is recorded.
  std::function<void()> before_charge;

 private:
  struct Record {
    std::string id;
    std::int64_t amount = 0;
    bool refunded = false;
    std::int64_t refunded_amount = 0;
    std::vector<ProviderRefundEntry> listed;
  };
  std::map<std::string, std::string> refund_keys_;  // refund key -> refund id
  std::mutex mutex_;
  std::map<std::string, Record> charges_;
  int next_id_ = 0;
};

}  // namespace emporium::test
