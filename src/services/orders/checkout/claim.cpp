#include "services/orders/checkout/claim.hpp"

#include <thread>

#include "core/json/writer.hpp"
#include "core/sql/migrations.hpp"

namespace emporium::orders::checkout {

std::string requestHash(const CheckoutRequest& r) {
  json::Writer w;
  w.startObject().member("cart_id", r.cart_id);
  if (r.address_id) w.member("address_id", *r.address_id);
  if (const auto& a = r.shipping_address) {
    w.key("shipping_address").startObject().member("name", a->name).member("line1", a->line1);
    if (a->line2) w.member("line2", *a->line2);
    w.member("city", a->city);
    if (a->region) w.member("region", *a->region);
    w.member("postal_code", a->postal_code).member("country", a->country).endObject();
  }
  w.member("method", payments::methodName(r.method))
      .member("token", r.card_token)
      .member("code", r.gift_card_code)
      .endObject();
  return sql::sha256Hex(w.str());
}

util::Result<Claim, CheckoutRefusal> claimKey(OrderStore& store, const IdempotencyRef& ref,
                                              const std::string& request_hash,
                                              std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kPoll{20};
  auto claim = store.claimKey(ref, request_hash);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (claim.state == ClaimState::kInProgress) {
    // Another request with this key is running: its outcome is ours.
    if (std::chrono::steady_clock::now() >= deadline) {
      return util::Err{CheckoutRefusal::of(CheckoutRefusal::kInProgress)};
    }
    std::this_thread::sleep_for(kPoll);
    claim = store.peekKey(ref, request_hash);
    if (claim.state == ClaimState::kClaimed) claim = store.claimKey(ref, request_hash);  // gave up
  }
  switch (claim.state) {
    case ClaimState::kMismatch:
      return util::Err{CheckoutRefusal::of(CheckoutRefusal::kKeyMismatch)};
    case ClaimState::kReplay:
      return Claim{claim.response};
    case ClaimState::kClaimed:
    case ClaimState::kInProgress:  // not after the loop
      break;
  }
  return Claim{};
}

}  // namespace emporium::orders::checkout
