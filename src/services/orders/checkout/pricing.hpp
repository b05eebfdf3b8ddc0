#pragma once
// Checkout step "price the cart": the cart's lines at the catalog's live
// prices, the shipping address (given, or a saved one), and the totals under
// the shop's pricing rules. Nothing is stored; a refusal leaves no trace.

#include <span>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "services/cart/client.hpp"
#include "services/catalog/client.hpp"
#include "services/orders/checkout/refusal.hpp"
#include "services/orders/checkout/request.hpp"
#include "services/orders/domain/order.hpp"

namespace emporium::orders::checkout {

/// What the order will be: its lines (in the cart's order), currency,
/// address and totals.
struct PricedOrder {
  std::string currency;
  std::vector<OrderLine> lines;
  ShippingAddress shipping_address;
  Totals totals;
};

class Pricer {
 public:
  Pricer(catalog::Client& catalog, AddressBook addresses, PricingRules rules)
      : catalog_(catalog), addresses_(std::move(addresses)), rules_(rules) {}

  /// Refuses kEmptyCart (no lines), kUnavailableItems (SKUs unknown or no
  /// longer sold, in the cart's order), kMixedCurrency, kNoSuchAddress
  /// (request.address_id is not one of the user's) or kTooLarge (the total
  /// overflows).
  util::Result<PricedOrder, CheckoutRefusal> price(const CheckoutRequest& request,
                                                   std::span<const cart::CartLine> lines) const;

 private:
  catalog::Client& catalog_;
  AddressBook addresses_;
  PricingRules rules_;
};

}  // namespace emporium::orders::checkout
