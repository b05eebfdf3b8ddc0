#pragma once
// The cart's internal routes: cart::Client over HTTP, for the orders saga in
// another process (RemoteClient is the caller). Mounted only when the
// deployment configures a service credential, and every call must carry it.

#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "services/cart/client.hpp"

namespace emporium::cart {

/// POST /internal/v1/cart/lines {"cart_id","user_id"} -> 200 {"lines": [...]},
/// {"lines": null} when the caller may not use that cart (Client::linesFor's
/// nullopt); POST /internal/v1/cart/remove-lines {"cart_id","lines"} -> 204.
/// `carts` and `credential` outlive the router.
void addInternalRoutes(http::Router& router, Client& carts,
                       const http::ServiceCredential& credential);

}  // namespace emporium::cart
