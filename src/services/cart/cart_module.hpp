#pragma once
// The cart service assembled over its database ("cart"): the carts other
// services read at checkout, the cart routes and the purge of stale guest carts.

#include <chrono>
#include <optional>

#include "core/events/activity_log.hpp"
#include "core/log/logger.hpp"
#include "core/module/module.hpp"
#include "core/sql/database.hpp"
#include "services/cart/cart_service.hpp"
#include "services/cart/http/internal_routes.hpp"
#include "services/catalog/client.hpp"
#include "services/inventory/client.hpp"

namespace emporium::cart {

class CartModule final : public module::Module {
 public:
  static constexpr std::chrono::hours kGuestCartPurgeEvery{1};

  CartModule(sql::Database& db, catalog::Client& catalog, inventory::Client& inventory,
             events::ActivityLog& activity, const log::Logger& logger);

  std::string_view name() const override { return "cart"; }
  void addRoutes(http::Router& router) override;
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) override {
    cart::addInternalRoutes(router, service_, credential);
  }
  /// Starts purging stale guest carts every kGuestCartPurgeEvery.
  void start() override;
  void stop() override { purger_.reset(); }

  Client& client() { return service_; }

 private:
  CartService service_;
  events::ActivityLog& activity_;
  const log::Logger& logger_;
  std::optional<GuestCartPurger> purger_;
};

}  // namespace emporium::cart
