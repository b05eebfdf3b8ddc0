#include "services/orders/checkout/pricing.hpp"

#include <map>
#include <stdexcept>

namespace emporium::orders::checkout {

util::Result<PricedOrder, CheckoutRefusal> Pricer::price(
    const CheckoutRequest& request, std::span<const cart::CartLine> lines) const {
  if (lines.empty()) return util::Err{CheckoutRefusal::of(CheckoutRefusal::kEmptyCart)};
  std::vector<std::string> wanted;
  wanted.reserve(lines.size());
  for (const auto& line : lines) wanted.push_back(line.sku);
  std::map<std::string, catalog::SkuInfo> info;
  for (auto& sku : catalog_.lookup(wanted)) info.emplace(sku.sku, std::move(sku));
  std::vector<std::string> unavailable;
  for (const auto& line : lines) {
    const auto it = info.find(line.sku);
    if (it == info.end() || !it->second.purchasable) unavailable.push_back(line.sku);
  }
  if (!unavailable.empty()) {
    return util::Err{
        CheckoutRefusal::withSkus(CheckoutRefusal::kUnavailableItems, std::move(unavailable))};
  }

  PricedOrder priced;
  priced.currency = info.begin()->second.currency;
  priced.lines.reserve(lines.size());
  for (const auto& line : lines) {
    const auto& sku = info.at(line.sku);
    if (sku.currency != priced.currency) {
      return util::Err{CheckoutRefusal::of(CheckoutRefusal::kMixedCurrency)};
    }
    priced.lines.push_back(
        OrderLine{line.sku, sku.product_id, sku.title, line.quantity, sku.unit_price, 0});
  }
  if (request.address_id) {
    auto address = addresses_ ? addresses_(request.user_id, *request.address_id) : std::nullopt;
    if (!address) return util::Err{CheckoutRefusal::of(CheckoutRefusal::kNoSuchAddress)};
    priced.shipping_address = std::move(*address);
  } else if (request.shipping_address) {
    priced.shipping_address = *request.shipping_address;
  } else {
    // The route requires one of the two; without either there is nowhere to ship.
    return util::Err{CheckoutRefusal::of(CheckoutRefusal::kNoSuchAddress)};
  }
  try {
    priced.totals = priceOrder(priced.lines, rules_);
  } catch (const std::overflow_error&) {
    return util::Err{CheckoutRefusal::of(CheckoutRefusal::kTooLarge)};
  }
  return priced;
}

}  // namespace emporium::orders::checkout
