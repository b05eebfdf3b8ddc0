#pragma once
// The payments service assembled over its database ("payments"): the store,
// the card provider adapter (HTTP, with retries and a breaker), the service
// the orders saga calls, and the admin routes.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.hpp"
#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/exposition.hpp"
#include "core/module/module.hpp"
#include "core/ratelimit/failed_attempts.hpp"
#include "core/sql/database.hpp"
#include "core/util/periodic_task.hpp"
#include "services/payments/domain/gift_card_guard.hpp"
#include "services/payments/http/internal_routes.hpp"
#include "services/payments/http/routes.hpp"
#include "services/payments/payments_service.hpp"
#include "services/payments/provider/http_card_provider.hpp"
#include "services/payments/storage/payment_store.hpp"
#include "services/payments/storage/schema.hpp"

namespace emporium::payments {

class PaymentsModule final : public module::Module {
 public:
  /// Talks to the card provider at provider_url() over HTTP.
  /// db: the "payments" database, migrated with payments::migrations().
  /// gift_card_limits: the cap on wrong gift-card codes (off when not enabled).
  /// `outbox`: the payments database's, where refunds made at the card
  /// provider are announced (kProviderRefundEvent).
  PaymentsModule(sql::Database& db, const events::Outbox& outbox,
                 HttpCardProvider::BaseUrl provider_url,
                 const HttpCardProviderOptions& provider_options, const log::Logger& logger,
                 GiftCardLimits gift_card_limits = {});
  /// Uses the caller's provider (tests, or another adapter); it must outlive this.
  PaymentsModule(sql::Database& db, const events::Outbox& outbox, CardProvider& provider,
                 const log::Logger& logger, GiftCardLimits gift_card_limits = {});

  std::string_view name() const override { return "payments"; }
  void addRoutes(http::Router& router) override { payments::addRoutes(router, api_); }
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) override {
    payments::addInternalRoutes(router, service_, credential);
  }
  /// "payment_provider": down while the HTTP provider's breaker is not
  /// closed; not critical (see module::ReadinessCheck::critical).
  std::vector<module::ReadinessCheck> checks() override;
  /// Starts the reconciler when reconcileEvery() was given.
  void start() override;
  void stop() override { reconciler_.reset(); }
  /// How often start()'s reconciler runs (payments.reconcile_every_ms).
  void reconcileEvery(std::chrono::milliseconds every) { reconcile_every_ = every; }

  /// What the orders saga uses.
  Client& client() { return service_; }
  PaymentsService& service() { return service_; }
  PaymentStore& store() { return store_; }
  /// emporium_payments_provider_* metrics (breaker state) and reconciliation's;
  /// nothing when the provider is not the HTTP one.
  void collect(metrics::Exposition& out) const override;
  /// The HTTP provider's circuit breaker; nullopt when the provider was given.
  std::optional<CircuitBreaker::Snapshot> breakerState() const {
    if (!http_provider_) return std::nullopt;
    return http_provider_->breaker();
  }

  /// Starts the periodic reconciliation pass (see
  /// PaymentsService::reconcileRefunds) over payments captured within the
  /// last kReconcileLookback, kReconcileBatch per pass; stopped by the destructor.
  void startReconciler(std::chrono::milliseconds every);
  static constexpr std::chrono::hours kReconcileLookback{24 * 90};
  static constexpr std::size_t kReconcileBatch = 100;

 private:
  PaymentStore store_;
  ratelimit::FailureLedger gift_card_failures_;
  std::unique_ptr<GiftCardGuard> gift_card_guard_;   // null when the limits are off
  std::unique_ptr<HttpCardProvider> http_provider_;  // null when the provider was given
  CardProvider& provider_;
  PaymentsService service_;
  PaymentsApi api_;
  const log::Logger& logger_;
  std::atomic<std::uint64_t> refunds_recorded_{0};
  std::atomic<std::uint64_t> reconcile_failures_{0};
  std::optional<std::chrono::milliseconds> reconcile_every_;
  std::unique_ptr<util::PeriodicTask> reconciler_;  // last: stopped first
};

/// The provider's base URL: the configured one when set (not empty), else
/// the embedded sandbox's, "<sandbox_origin()>/sandbox" (its own listener).
HttpCardProvider::BaseUrl providerBaseUrl(const std::optional<std::string>& configured,
                                          std::function<std::string()> sandbox_origin);

/// The adapter's options from the configuration (payments.provider_timeout_ms
/// bounds each attempt; the connect timeout never exceeds it; the sandbox
/// secret, when configured, is sent as the provider's Bearer key).
HttpCardProviderOptions providerOptions(const config::Config& config);

/// The gift-card caps from the configuration ([limits] enabled, gift_card_*).
GiftCardLimits giftCardLimits(const config::Config& config);

}  // namespace emporium::payments
