#pragma once
// The orders service assembled over its database ("orders"): checkout, the
// order desk's routes and the sweeper that finishes interrupted checkouts,
// over the contracts of the services it calls.

#include <array>
#include <string_view>
#include <vector>

#include "core/events/activity_log.hpp"
#include "core/events/consumer.hpp"
#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"
#include "core/module/module.hpp"
#include "core/sql/database.hpp"
#include "services/cart/client.hpp"
#include "services/catalog/client.hpp"
#include "services/inventory/client.hpp"
#include "services/orders/order_service.hpp"
#include "services/orders/storage/order_store.hpp"
#include "services/payments/client.hpp"
#include "services/users/client.hpp"

namespace emporium::orders {

/// The services checkout calls; each outlives the module.
struct OrderPeers {
  cart::Client& carts;
  catalog::Client& catalog;
  inventory::Client& inventory;
  payments::Client& payments;
  users::Client& users;  // saved shipping addresses
};

class OrdersModule final : public module::Module {
 public:
  OrdersModule(sql::Database& db, const events::Outbox& outbox, OrderPeers peers,
               OrderOptions options, events::ActivityLog& activity, const log::Logger& logger);

  /// Records refunds made at the card provider on their orders
  /// (payments::kProviderRefundEvent), wherever payments runs.
  static constexpr std::string_view kProviderRefundsConsumer = "orders.provider_refunds";
  static constexpr std::array<std::string_view, 1> kProviderRefundsPatterns = {
      payments::kProviderRefundEvent};

  std::string_view name() const override { return "orders"; }
  void addRoutes(http::Router& router) override;
  std::vector<events::Consumer> consumers() override { return {providerRefundsConsumer()}; }
  events::Consumer providerRefundsConsumer();
  void collect(metrics::Exposition& out) const override { service_.collect(out); }
  /// Starts the recovery sweeper; the service's destructor stops it.
  void start() override { service_.startSweeper(); }

  OrderService& service() { return service_; }

 private:
  OrderStore store_;
  OrderService service_;
  events::ActivityLog& activity_;
};

}  // namespace emporium::orders
