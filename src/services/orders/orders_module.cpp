#include "services/orders/orders_module.hpp"

#include <utility>

#include "services/orders/http/routes.hpp"

namespace emporium::orders {

OrdersModule::OrdersModule(sql::Database& db, const events::Outbox& outbox, OrderPeers peers,
                           OrderOptions options, events::ActivityLog& activity,
                           const log::Logger& logger)
    : store_(db, outbox),
      service_(
          store_, peers.carts, peers.catalog, peers.inventory, peers.payments,
          [&users = peers.users](const std::string& user_id, const std::string& address_id)
              -> std::optional<ShippingAddress> { return users.address(user_id, address_id); },
          std::move(options), logger),
      activity_(activity) {}

void OrdersModule::addRoutes(http::Router& router) {
  orders::addRoutes(router, service_, activity_);
}

}  // namespace emporium::orders
