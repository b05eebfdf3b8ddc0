#pragma once
// What a checkout is asked to do (POST /orders, parsed by the route), and the
// saved-address lookup it may need: the input of every checkout unit.

#include <functional>
#include <optional>
#include <string>

#include "services/orders/domain/order.hpp"
#include "services/payments/client.hpp"

namespace emporium::orders {

struct CheckoutRequest {
  std::string user_id;
  std::string idempotency_key;
  std::string cart_id;
  std::optional<ShippingAddress> shipping_address;
  std::optional<std::string> address_id;
  payments::Method method = payments::Method::kCard;
  std::string card_token;
  std::string gift_card_code;
  /// The buyer's address, which wrong gift-card codes are also counted by
  /// (not part of the request for its Idempotency-Key).
  std::string client_address;
};

/// A user's saved address by id (the users service, through the app's wiring).
using AddressBook = std::function<std::optional<ShippingAddress>(const std::string& user_id,
                                                                 const std::string& address_id)>;

}  // namespace emporium::orders
