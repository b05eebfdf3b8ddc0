#pragma once
// Inventory's internal routes: inventory::Client over HTTP, for services in
// other processes (RemoteClient is the caller). Mounted only when the
// deployment configures a service credential, and every call must carry it.

#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "services/inventory/client.hpp"

namespace emporium::inventory {

/// POST /internal/v1/inventory/{levels,reserve,confirm,fulfil,release,return,
/// on-hand,import} and GET /internal/v1/inventory/count, each answering one
/// Client call (wire.hpp has the bodies). `inventory` and `credential`
/// outlive the router.
void addInternalRoutes(http::Router& router, Client& inventory,
                       const http::ServiceCredential& credential);

}  // namespace emporium::inventory
