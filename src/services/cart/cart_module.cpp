#include "services/cart/cart_module.hpp"

#include "services/cart/http/routes.hpp"

namespace emporium::cart {

CartModule::CartModule(sql::Database& db, catalog::Client& catalog, inventory::Client& inventory,
                       events::ActivityLog& activity, const log::Logger& logger)
    : service_(db, catalog, inventory), activity_(activity), logger_(logger) {}

void CartModule::addRoutes(http::Router& router) { cart::addRoutes(router, service_, activity_); }

void CartModule::start() {
  if (!purger_) purger_.emplace(service_, kGuestCartPurgeEvery, logger_);
}

}  // namespace emporium::cart
