#pragma once
// The event consumers this binary runs, built in one place: `serve` hands
// them to the delivery workers, `emporium events replay --to` feeds one of
// them again in its own process. Either way the handler is the same code and
// its idempotency lives in the consumer's database (processed_events).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/services.hpp"
#include "core/cache/tiered_cache.hpp"
#include "core/config/config.hpp"
#include "core/events/consumer.hpp"
#include "core/log/logger.hpp"
#include "services/catalog/catalog_module.hpp"
#include "services/notifications/notifications_module.hpp"
#include "services/users/client.hpp"

namespace emporium::app {

/// A consumer with what replaying an event to it needs.
struct ReplayableConsumer {
  events::Consumer consumer;
  /// Deletes what makes the consumer skip this event as already handled, so
  /// that handing it over again acts again.
  std::function<void(const std::string& event_id)> forget;
};

class EventConsumers {
 public:
  /// `users` and `catalog` outlive this object; the notifications service
  /// (and its mailer: SMTP with smtp.url, else <data_dir>/mail) is built here.
  EventConsumers(const config::Config& config, const Databases& databases, users::Client& users,
                 catalog::CatalogModule& catalog, const log::Logger& logger);

  /// Every consumer `events replay` can feed, in kConsumerNames order.
  std::vector<events::Consumer> all();
  /// The consumer called `name` (one of kConsumerNames; UsageError otherwise,
  /// and for orders.provider_refunds, which only its service runs).
  ReplayableConsumer named(std::string_view name);

 private:
  std::vector<ReplayableConsumer> replayable();

  notifications::NotificationsModule notifications_;
  catalog::CatalogModule& catalog_;
  sql::Database& catalog_db_;
};

/// Throws UsageError naming `option` and listing kConsumerNames unless `name`
/// is one of them; for commands that check before opening anything.
void requireConsumerName(std::string_view name, std::string_view option);

/// The catalog's cache as every process of one shop shares it: keys scoped to
/// the catalog database, so shops (or test runs) sharing one Redis never see
/// each other's entries, while every process of one shop shares them (and
/// hears the invalidations a replayed event causes).
cache::Options catalogCacheOptions(const config::Config& config, const Databases& databases);

}  // namespace emporium::app
