#include "services/cart/cart_service.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "core/util/ids.hpp"

namespace emporium::cart {

CartService::CartService(sql::Database& db, catalog::Client& catalog, inventory::Client& inventory,
                         Clock clock)
    : store_(db), catalog_(catalog), inventory_(inventory), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

std::string CartService::now() const { return util::formatRfc3339(clock_()); }

std::optional<std::vector<CartLine>> CartService::linesFor(const std::string& cart_id,
                                                           const std::string& user_id) {
  auto cart = store_.contents(cart_id, user_id.empty() ? Caller{} : Caller{user_id});
  if (!cart) return std::nullopt;
  std::vector<CartLine> out;
  out.reserve(cart->lines.size());
  for (auto& line : cart->lines) out.push_back(CartLine{std::move(line.sku), line.quantity});
  return out;
}

void CartService::removeLines(const std::string& cart_id, const std::vector<CartLine>& lines) {
  store_.removeLines(cart_id, lines, now());
}

std::string CartService::createGuestCart() {
  std::string id = newCartId();
  store_.insertGuestCart(id, now());
  return id;
}

std::string CartService::userCart(const std::string& user_id) {
  return store_.userCart(user_id, newCartId(), now());
}

bool CartService::usable(const std::string& cart_id, const Caller& caller) {
  return store_.owner(cart_id, caller).has_value();
}

std::optional<CartView> CartService::view(const std::string& cart_id, const Caller& caller) {
  const auto cart = store_.contents(cart_id, caller);
  if (!cart) return std::nullopt;

  std::vector<std::string> skus;
  skus.reserve(cart->lines.size());
  for (const auto& line : cart->lines) skus.push_back(line.sku);
  std::unordered_map<std::string, catalog::SkuInfo> infos;
  for (auto& info : catalog_.lookup(skus)) infos.emplace(info.sku, std::move(info));
  std::unordered_map<std::string, std::int64_t> available;
  for (const auto& level : inventory_.levels(skus)) available.emplace(level.sku, level.available());

  CartView view;
  view.id = cart_id;
  view.user_id = cart->owner;
  bool currency_set = false;
  for (const auto& line : cart->lines) {
    const auto info = infos.find(line.sku);
    if (info == infos.end()) continue;  // the catalog no longer knows it: nothing to show
    CartViewLine item;
    item.sku = line.sku;
    item.product_id = info->second.product_id;
    item.title = info->second.title;
    item.quantity = line.quantity;
    item.unit_price = info->second.unit_price;
    item.currency = info->second.currency;
    item.line_total = item.unit_price * item.quantity;
    item.available = info->second.purchasable;
    const auto stock = available.find(line.sku);
    item.in_stock = stock != available.end() && stock->second >= line.quantity;
    if (item.available) {
      view.item_count += item.quantity;
      view.subtotal += item.line_total;
      if (!currency_set) {
        view.currency = item.currency;
        currency_set = true;
      }
    }
    view.items.push_back(std::move(item));
  }
  return view;
}

std::optional<std::int64_t> CartService::availableToBuy(const std::string& sku) {
  const std::string skus[] = {sku};
  const auto infos = catalog_.lookup(skus);
  if (infos.empty() || !infos.front().purchasable) return std::nullopt;
  const auto levels = inventory_.levels(skus);
  return levels.empty() ? 0 : std::max<std::int64_t>(0, levels.front().available());
}

CartChange CartService::addItem(const std::string& cart_id, const Caller& caller,
                                const std::string& sku, std::int64_t quantity) {
  if (quantity < 1 || quantity > kMaxQuantity) return CartChange{CartProblem::kQuantityOverLimit};
  const auto available = availableToBuy(sku);
  if (!available) {
    // A missing cart outranks an unknown SKU, as the route reports it.
    if (!usable(cart_id, caller)) return CartChange{CartProblem::kCartNotFound};
    return CartChange{CartProblem::kUnknownSku};
  }
  return store_.addItem(cart_id, caller, LineRequest{sku, quantity, *available}, now());
}

CartChange CartService::setQuantity(const std::string& cart_id, const Caller& caller,
                                    const std::string& sku, std::int64_t quantity) {
  if (quantity < 0 || quantity > kMaxQuantity) return CartChange{CartProblem::kQuantityOverLimit};
  // Stock matters only when raising a line; an archived or vanished SKU can
  // still be lowered or removed (it has nothing available).
  std::int64_t available = 0;
  if (quantity > 0) available = availableToBuy(sku).value_or(0);
  return store_.setQuantity(cart_id, caller, LineRequest{sku, quantity, available}, now());
}

bool CartService::removeItem(const std::string& cart_id, const Caller& caller,
                             const std::string& sku) {
  return store_.removeItem(cart_id, caller, sku, now());
}

MergeResult CartService::merge(const std::string& user_id, const std::string& guest_cart_id) {
  return store_.merge(user_id, guest_cart_id, newCartId(), now());
}

std::int64_t CartService::purgeStaleGuestCarts(std::chrono::hours idle) {
  return store_.purgeGuestCarts(util::formatRfc3339(clock_() - idle));
}

GuestCartPurger::GuestCartPurger(CartService& service, std::chrono::milliseconds interval,
                                 const log::Logger& logger)
    : task_(
          interval,
          [&service, &logger] {
            const auto purged = service.purgeStaleGuestCarts();
            if (purged > 0) logger.info("stale guest carts purged", {{"carts", purged}});
          },
          [&logger](const std::exception& e) {
            logger.warn("guest cart purge failed", {{"error", e.what()}});
          }) {}

}  // namespace emporium::cart
