#include "services/payments/payments_module.hpp"

#include <stdexcept>

#include "core/json/writer.hpp"

#include <algorithm>
#include <utility>

#include "core/util/ids.hpp"
#include "services/payments/domain/customer_binding.hpp"

namespace emporium::payments {
namespace {

std::unique_ptr<GiftCardGuard> guardFor(ratelimit::FailureLedger& ledger,
                                        const GiftCardLimits& limits) {
  if (!limits.enabled) return nullptr;
  return std::make_unique<GiftCardGuard>(ledger, limits);
}

}  // namespace

PaymentsModule::PaymentsModule(sql::Database& db, const events::Outbox& outbox,
                               HttpCardProvider::BaseUrl provider_url,
                               const HttpCardProviderOptions& provider_options,
                               const log::Logger& logger, GiftCardLimits gift_card_limits)
    : store_(db, outbox),
      gift_card_failures_(db, "gift_card"),
      gift_card_guard_(guardFor(gift_card_failures_, gift_card_limits)),
      http_provider_(std::make_unique<HttpCardProvider>(provider_url, provider_options)),
      provider_(*http_provider_),
      service_(store_, provider_, logger, gift_card_guard_.get()),
      api_{service_},
      logger_(logger) {
  // A provider speaking the sandbox's API tokenizes under its base URL.
  api_.tokenize_url = [base = std::move(provider_url)] { return base() + "/v1/tokens"; };
  // It shares its secret with the shop, so it can check the shop's bindings.
  if (!provider_options.secret.empty()) {
    api_.bind_customer = [secret = provider_options.secret](const std::string& payer) {
      return bindCustomer(payer, secret);
    };
  }
}

PaymentsModule::PaymentsModule(sql::Database& db, const events::Outbox& outbox,
                               CardProvider& provider, const log::Logger& logger,
                               GiftCardLimits gift_card_limits)
    : store_(db, outbox),
      gift_card_failures_(db, "gift_card"),
      gift_card_guard_(guardFor(gift_card_failures_, gift_card_limits)),
      provider_(provider),
      service_(store_, provider_, logger, gift_card_guard_.get()),
      api_{service_},
      logger_(logger) {}

void PaymentsModule::startReconciler(std::chrono::milliseconds every) {
  if (reconciler_) return;
  reconciler_ = std::make_unique<util::PeriodicTask>(
      every,
      [this] {
        const auto since =
            util::formatRfc3339(std::chrono::system_clock::now() - kReconcileLookback);
        const auto report = service_.reconcileRefunds(since, kReconcileBatch);
        refunds_recorded_.fetch_add(report.refunded, std::memory_order_relaxed);
      },
      [this](const std::exception& e) {
        reconcile_failures_.fetch_add(1, std::memory_order_relaxed);
        logger_.warn("payment reconciliation pass failed", {{"error", std::string_view(e.what())}});
      });
}

void PaymentsModule::collect(metrics::Exposition& out) const {
  if (!http_provider_) return;
  const auto b = http_provider_->breaker();
  out.gauge("emporium_payments_provider_breaker_open",
            "1 while the card provider's circuit breaker refuses calls (open or half-open).",
            b.state == CircuitBreaker::State::kClosed ? 0 : 1);
  out.gauge("emporium_payments_provider_consecutive_failures",
            "Transient card provider failures in a row.",
            static_cast<double>(b.consecutive_failures));
  out.counter("emporium_payments_provider_breaker_opened_total", "Times the breaker opened.",
              static_cast<std::uint64_t>(b.times_opened));
  out.counter("emporium_payments_provider_calls_rejected_total",
              "Calls refused by the open breaker.", static_cast<std::uint64_t>(b.calls_rejected));
  out.counter("emporium_payments_provider_refunds_recorded_total",
              "Refunds made at the card provider that reconciliation found and recorded.",
              refunds_recorded_.load(std::memory_order_relaxed));
  out.counter("emporium_payments_reconcile_failures_total", "Reconciliation passes that failed.",
              reconcile_failures_.load(std::memory_order_relaxed));
}

HttpCardProvider::BaseUrl providerBaseUrl(const std::optional<std::string>& configured,
                                          std::function<std::string()> sandbox_origin) {
  if (configured && !configured->empty()) {
    std::string url = *configured;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return [url] { return url; };
  }
  return [sandbox_origin = std::move(sandbox_origin)] { return sandbox_origin() + "/sandbox"; };
}

HttpCardProviderOptions providerOptions(const config::Config& config) {
  HttpCardProviderOptions options;
  options.total_timeout = config.payment_provider_timeout;
  options.connect_timeout = std::min(options.connect_timeout, options.total_timeout);
  options.secret = config.sandbox_secret;
  return options;
}

GiftCardLimits giftCardLimits(const config::Config& config) {
  return {config.rate_limits_enabled, config.gift_card_window,
          config.gift_card_failures_per_account, config.gift_card_failures_per_address};
}

std::vector<module::ReadinessCheck> PaymentsModule::checks() {
  module::ReadinessCheck check{
      "payment_provider",
      [this] {
        const auto b = breakerState();
        if (b && b->state != CircuitBreaker::State::kClosed) {
          throw std::runtime_error("circuit breaker " +
                                   std::string(CircuitBreaker::stateName(b->state)));
        }
      },
      /*critical=*/false,
      [this]() -> std::string {
        const auto b = breakerState();
        if (!b) return {};
        json::Writer w;
        w.startObject()
            .member("breaker", CircuitBreaker::stateName(b->state))
            .member("consecutive_failures", b->consecutive_failures)
            .endObject();
        return w.str();
      }};
  return {std::move(check)};
}

void PaymentsModule::start() {
  if (reconcile_every_) startReconciler(*reconcile_every_);
}

}  // namespace emporium::payments
