#pragma once
// The catalog's internal routes: catalog::Client over HTTP, for services in
// other processes (RemoteClient is the caller). Mounted only when the
// deployment configures a service credential, and every call must carry it.

#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "services/catalog/client.hpp"

namespace emporium::catalog {

/// POST /internal/v1/catalog/lookup {"skus": [...]} -> {"items": [...]}
/// (wire.hpp). `catalog` and `credential` outlive the router.
void addInternalRoutes(http::Router& router, Client& catalog,
                       const http::ServiceCredential& credential);

}  // namespace emporium::catalog
