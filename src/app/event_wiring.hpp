#pragma once
// How events move in this process: the outboxes of the services that publish,
// and the delivery workers the configuration asks for (the in-process
// dispatcher by default; the RabbitMQ relay and consumers with amqp.url).

#include <memory>
#include <string>
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
inline constexpr std::string_view kEventSources[] = {"users", "catalog", "inventory", "orders",
                                                     "payments"};

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

/// A consumer's queue name and topic bindings.
struct QueueTopology {
  std::string name;
  std::vector<std::string> patterns;
};

/// What a target does with events: publish its services' outboxes, consume
/// them, or both (in process without amqp.url).
struct Delivery {
  bool relay = true;
  bool consume = true;
  /// With amqp.url and relay: the queues declared before the first event is
  /// published, every consumer's wherever it runs (app::consumerQueues()).
  std::vector<QueueTopology> queues;
};

/// Throws UsageError (exit 2) when `delivery` does only half of the work and
/// amqp.url is not set: only RabbitMQ carries events between processes.
void requireAmqpFor(const config::Config& config, const Delivery& delivery);

/// Starts what delivers events: the RabbitMQ relay and consumers as
/// `delivery` asks with amqp.url, else the in-process dispatcher.
/// Destroying the workers stops them.
std::vector<std::unique_ptr<events::Worker>> startDelivery(const config::Config& config,
                                                           const Delivery& delivery,
                                                           EventSources& sources,
                                                           std::vector<events::Consumer> consumers,
                                                           const log::Logger& logger,
                                                           events::EventMetrics& metrics);

/// The consumers this binary runs, by name (their queues on RabbitMQ).
inline constexpr std::string_view kConsumerNames[] = {"notifications", "catalog.ratings",
                                                      "catalog.purchases", "catalog.stock",
                                                      "orders.provider_refunds"};

/// An event that could not be handled: in a consumer's dead-letter queue on
/// RabbitMQ, or parked as dead in a service's outbox in process.
struct DeadLetterEntry {
  std::string queue;  // "emporium.notifications.dlq", or "outbox:orders"
  events::Event event;
  int attempts = 0;
  std::string dead_at;
  std::string last_error;
};

/// Dead-lettered events; `consumer` (empty: all) narrows it on RabbitMQ.
std::vector<DeadLetterEntry> listDeadLetters(const config::Config& config,
                                             const EventSources& sources,
                                             const std::string& consumer);

/// Sends dead-lettered events again with their attempts reset: `event_id`,
/// or every one when empty. Returns how many.
std::size_t replayDeadLetters(const config::Config& config, const EventSources& sources,
                              const std::string& consumer, const std::string& event_id);

}  // namespace emporium::app
