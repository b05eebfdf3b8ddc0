#pragma once
// The inventory service assembled over its database ("inventory"): the
// service other services reserve stock through, the admin stock routes and
// the sweeper that releases expired holds.

#include <chrono>
#include <cstdint>
#include <optional>

#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"
#include "core/module/module.hpp"
#include "core/sql/database.hpp"
#include "services/catalog/client.hpp"
#include "services/inventory/http/internal_routes.hpp"
#include "services/inventory/http/routes.hpp"
#include "services/inventory/inventory_service.hpp"

namespace emporium::inventory {

class InventoryModule final : public module::Module {
 public:
  static constexpr std::chrono::seconds kSweepEvery{30};

  /// `skus` tells the admin routes which SKUs the catalog sells (stock may be
  /// created for those only).
  InventoryModule(sql::Database& db, const events::Outbox& outbox, std::int64_t low_stock_threshold,
                  catalog::Client& skus, const log::Logger& logger);

  std::string_view name() const override { return "inventory"; }
  void addRoutes(http::Router& router) override { inventory::addRoutes(router, api_); }
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) override {
    inventory::addInternalRoutes(router, service_, credential);
  }
  void collect(metrics::Exposition& out) const override { service_.collect(out); }
  /// Starts releasing expired stock holds every kSweepEvery.
  void start() override;
  void stop() override { sweeper_.reset(); }

  Client& client() { return service_; }

 private:
  InventoryService service_;
  InventoryApi api_;
  const log::Logger& logger_;
  std::optional<ExpirySweeper> sweeper_;
};

}  // namespace emporium::inventory
