#pragma once
// The cart's HTTP surface: guest carts by id, the signed-in user's cart, line
// changes and the merge on sign-in.

#include "core/events/activity_log.hpp"
#include "core/http/router.hpp"
#include "services/cart/cart_service.hpp"

namespace emporium::cart {

/// The cart routes of the public contract (api.md, "Cart").
/// An item added to a cart is recorded as activity.cart_item_added.
void addRoutes(http::Router& router, CartService& service, events::ActivityLog& activity);

}  // namespace emporium::cart
