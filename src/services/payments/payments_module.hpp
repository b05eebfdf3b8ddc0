#pragma once
// The payments service assembled over its database ("payments"): the store,
// the card provider adapter (HTTP, with retries and a breaker), the service
// the orders saga calls, and the admin routes.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.hpp"
#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "services/payments/http/routes.hpp"
#include "services/payments/payments_service.hpp"
#include "services/payments/provider/http_card_provider.hpp"
#include "services/payments/storage/payment_store.hpp"
#include "services/payments/storage/schema.hpp"

namespace emporium::payments {

class PaymentsModule {
 public:
  /// Talks to the card provider at provider_url() over HTTP.
  /// db: the "payments" database, migrated with payments::migrations().
  PaymentsModule(sql::Database& db, HttpCardProvider::BaseUrl provider_url,
                 const HttpCardProviderOptions& provider_options, const log::Logger& logger);
  /// Uses the caller's provider (tests, or another adapter); it must outlive this.
  PaymentsModule(sql::Database& db, CardProvider& provider, const log::Logger& logger);
  PaymentsModule(const PaymentsModule&) = delete;
  PaymentsModule& operator=(const PaymentsModule&) = delete;

  void addRoutes(http::Router& router) { payments::addRoutes(router, api_); }
  /// What the orders saga uses.
  Client& client() { return service_; }
  PaymentsService& service() { return service_; }
  PaymentStore& store() { return store_; }
  /// Appends emporium_payments_provider_* metrics (breaker state) in Prometheus text;
  /// nothing when the provider is not the HTTP one.
  void renderMetrics(std::string& out) const;
  /// The HTTP provider's circuit breaker; nullopt when the provider was given.
  std::optional<CircuitBreaker::Snapshot> breakerState() const {
    if (!http_provider_) return std::nullopt;
    return http_provider_->breaker();
  }

 private:
  PaymentStore store_;
  std::unique_ptr<HttpCardProvider> http_provider_;  // null when the provider was given
  CardProvider& provider_;
  PaymentsService service_;
  PaymentsApi api_;
};

/// The provider's base URL: the configured one when set (not empty), else
/// this process's own sandbox mount, "<own_origin()>/sandbox", asked per call
/// because the process learns its port only after it starts listening.
HttpCardProvider::BaseUrl providerBaseUrl(const std::optional<std::string>& configured,
                                          std::function<std::string()> own_origin);

/// The adapter's options from the configuration (payments.provider_timeout_ms
/// bounds each attempt; the connect timeout never exceeds it).
HttpCardProviderOptions providerOptions(const config::Config& config);

}  // namespace emporium::payments
