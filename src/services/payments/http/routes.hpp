#pragma once
// The payments service's API:
//   GET  /api/v1/payments/config                           -> 200 (public)
//        {"card": {"tokenize_url": URL}, "methods": ["card", "gift_card", "cod"]}
//        where clients tokenize cards (the provider, never the shop's port)
//   POST /api/v1/admin/gift-cards         {code?, balance} -> 201 / 409 / 422 (no code: generated)
//   GET  /api/v1/admin/gift-cards/{code}                   -> 200 / 404

#include <functional>
#include <string>

#include "core/http/router.hpp"
#include "services/payments/payments_service.hpp"

namespace emporium::payments {

struct PaymentsApi {
  PaymentsService& payments;
  /// The currency of a gift card whose balance is given as a bare integer.
  std::string default_currency = "USD";
  /// The provider's public tokenization URL, asked per request (the
  /// provider's address may be known only once it listens); unset: no card
  /// payments are offered.
  std::function<std::string()> tokenize_url;
  /// A customer binding for a payer ("user:...", "cart:..."), appended to the
  /// tokenize URL as ?customer=; unset: URLs are not bound (tokens then pay
  /// for the first customer who uses them).
  std::function<std::string(const std::string& payer)> bind_customer;
};

/// Registers the routes; api must outlive the router.
void addRoutes(http::Router& router, const PaymentsApi& api);

}  // namespace emporium::payments
