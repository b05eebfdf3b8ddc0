#pragma once
// The payments service's admin API:
//   POST /api/v1/admin/gift-cards         {code, balance}  -> 201 / 409 / 422
//   GET  /api/v1/admin/gift-cards/{code}                   -> 200 / 404

#include "core/http/router.hpp"
#include "services/payments/payments_service.hpp"

namespace emporium::payments {

struct PaymentsApi {
  PaymentsService& payments;
  /// The currency of a gift card whose balance is given as a bare integer.
  std::string default_currency = "USD";
};

/// Registers the routes; api must outlive the router.
void addRoutes(http::Router& router, const PaymentsApi& api);

}  // namespace emporium::payments
