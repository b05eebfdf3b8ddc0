#pragma once
// The users service's internal routes: users::Client over HTTP, for services
// in other processes (RemoteClient is the caller). Mounted only when the
// deployment configures a service credential, and every call must carry it.

#include "core/http/router.hpp"
#include "core/http/service_credential.hpp"
#include "services/users/client.hpp"

namespace emporium::users {

/// POST /internal/v1/users/name {"user_id"} -> {"name": "..." | null},
/// /recipient {"user_id"} -> {"recipient": {"email","name"} | null},
/// /address {"user_id","address_id"} -> {"address": {...} | null};
/// GET /internal/v1/users/admins -> {"admins": [{"email","name"}, ...]}.
/// `users` and `credential` outlive the router.
void addInternalRoutes(http::Router& router, Client& users,
                       const http::ServiceCredential& credential);

}  // namespace emporium::users
