#pragma once
// Inventory's HTTP surface: the admin stock endpoints.

#include "core/http/router.hpp"
#include "services/catalog/client.hpp"
#include "services/inventory/inventory_service.hpp"

namespace emporium::inventory {

/// What the handlers work with; both outlive the router.
struct InventoryApi {
  InventoryService& service;
  /// Which SKUs exist: a PUT may create stock only for a SKU the catalog sells.
  catalog::Client& catalog;
};

/// GET and PUT /api/v1/admin/inventory/{sku} (role admin).
void addRoutes(http::Router& router, InventoryApi& api);

}  // namespace emporium::inventory
