#pragma once
// Checkout step "claim the Idempotency-Key": the first request with a key
// owns it; a later one with the same body gets the first one's stored answer
// (waiting for it while it runs), one with another body is refused.

#include <chrono>
#include <optional>
#include <string>

#include "core/util/result.hpp"
#include "services/orders/checkout/refusal.hpp"
#include "services/orders/checkout/request.hpp"
#include "services/orders/storage/order_store.hpp"

namespace emporium::orders::checkout {

/// The canonical form of a checkout request, hashed: what "the same body"
/// means for an Idempotency-Key (key order and whitespace in the JSON do not
/// matter; the buyer's client address is not part of it).
std::string requestHash(const CheckoutRequest& request);

/// The key is this request's to run (no replay), or the stored answer of the
/// request that ran it.
struct Claim {
  std::optional<StoredResponse> replay;
  bool owned() const { return !replay; }
};

/// Claims ref for a request whose body hashes to request_hash. While another
/// request with the key runs, polls the key every 20 ms for up to `wait`: its
/// answer becomes ours, or, if it gave the key up (a refusal that is not
/// replayed), the key is claimed again. Refuses kKeyMismatch (the key was
/// used with another body) or kInProgress (still running after `wait`).
util::Result<Claim, CheckoutRefusal> claimKey(OrderStore& store, const IdempotencyRef& ref,
                                              const std::string& request_hash,
                                              std::chrono::milliseconds wait);

}  // namespace emporium::orders::checkout
