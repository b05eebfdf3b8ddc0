#pragma once
// How events move in this process: the outboxes of the services that publish,
// and the delivery workers the configuration asks for (the in-process
// dispatcher by default; the RabbitMQ relay and consumers with amqp.url).

#include <memory>
#include <string_view>
#include <vector>

#include "app/services.hpp"
#include "core/config/config.hpp"
#include "core/events/activity_log.hpp"
#include "core/events/consumer.hpp"
#include "core/events/event_metrics.hpp"
#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"

namespace emporium::app {

/// The services that publish events, each with its outbox.
inline constexpr std::string_view kEventSources[] = {"users", "catalog", "inventory", "orders"};

class EventSources {
 public:
  explicit EventSources(const Databases& databases);
  const events::Outbox& outbox(std::string_view source) const;
  std::vector<const events::Outbox*> all() const;
  events::Doorbell& doorbell() { return doorbell_; }

 private:
  events::Doorbell doorbell_;
  std::vector<std::unique_ptr<events::Outbox>> outboxes_;
};

events::RetryPolicy retryPolicy(const config::Config& config);

/// The activity log: the RabbitMQ stream with amqp.url, else the activity table.
std::unique_ptr<events::ActivityLog> makeActivityLog(const config::Config& config,
                                                     const Databases& databases,
                                                     const log::Logger& logger);

/// Starts what delivers events for config.target: "all" relays (or
/// dispatches) and consumes, "api" only relays, "worker" only consumes.
/// Destroying the workers stops them.
std::vector<std::unique_ptr<events::Worker>> startDelivery(const config::Config& config,
                                                           EventSources& sources,
                                                           std::vector<events::Consumer> consumers,
                                                           const log::Logger& logger,
                                                           events::EventMetrics& metrics);

}  // namespace emporium::app
