#include "app/event_wiring.hpp"

#include <stdexcept>
#include <string>

#include <algorithm>

#include "app/commands.hpp"
#include "app/consumers.hpp"
#include "core/config/config.hpp"
#include "core/events/amqp_activity_log.hpp"
#include "core/events/amqp_connection.hpp"
#include "core/events/amqp_consumer.hpp"
#include "core/events/amqp_dead_letters.hpp"
#include "core/events/amqp_relay.hpp"
#include "core/events/local_dispatcher.hpp"
#include "core/events/sql_activity_log.hpp"

namespace emporium::app {

EventSources::EventSources(const Databases& databases) {
  for (const auto source : kEventSources) {
    // A target that runs some services opens only their databases.
    const auto db = databases.find(source);
    if (db == databases.end()) continue;
    outboxes_.push_back(
        std::make_unique<events::Outbox>(std::string(source), *db->second, doorbell_));
  }
}

const events::Outbox& EventSources::outbox(std::string_view source) const {
  for (const auto& outbox : outboxes_) {
    if (outbox->source() == source) return *outbox;
  }
  throw std::logic_error("no outbox for " + std::string(source));
}

std::vector<const events::Outbox*> EventSources::all() const {
  std::vector<const events::Outbox*> all;
  for (const auto& outbox : outboxes_) all.push_back(outbox.get());
  return all;
}

events::RetryPolicy retryPolicy(const config::Config& config) {
  events::RetryPolicy policy;
  policy.max_attempts = config.events_max_attempts;
  policy.base_delay = config.events_retry_base;
  policy.max_delay = config.events_retry_max;
  return policy;
}

namespace {

events::AmqpOptions amqpOptions(const config::Config& config) {
  events::AmqpOptions options;
  options.url = *config.amqp_url;
  options.exchange = config.events_amqp_prefix + "events";
  options.queue_prefix = config.events_amqp_prefix;
  options.activity_stream = config.events_amqp_prefix + "activity";
  options.retry = retryPolicy(config);
  return options;
}

// The consumers `name` selects: one known name, or all of them when empty.
std::vector<std::string> consumersNamed(const std::string& name) {
  std::vector<std::string> names;
  for (const auto known : kConsumerNames) {
    if (name.empty() || name == known) names.emplace_back(known);
  }
  // The commands check the name first (requireConsumerName); this is the last guard.
  if (names.empty()) requireConsumerName(name, "--consumer");
  return names;
}

}  // namespace

std::unique_ptr<events::ActivityLog> makeActivityLog(const config::Config& config,
                                                     const Databases& databases,
                                                     const log::Logger& logger) {
  if (config.amqp_url)
    return std::make_unique<events::AmqpActivityLog>(amqpOptions(config), logger);
  return std::make_unique<events::SqlActivityLog>(*databases.at("activity"),
                                                  events::ActivityLogOptions{}, logger);
}

std::vector<std::unique_ptr<events::Worker>> startDelivery(const config::Config& config,
                                                           const Delivery& delivery,
                                                           EventSources& sources,
                                                           std::vector<events::Consumer> consumers,
                                                           const log::Logger& logger,
                                                           events::EventMetrics& metrics) {
  std::vector<std::unique_ptr<events::Worker>> workers;
  if (config.amqp_url) {
    const auto options = amqpOptions(config);
    // Every consumer's queues exist before the first event is published, so
    // none is lost for a consumer whose worker has not started yet. A broker
    // that is down now is retried by the relay and consumers, which declare
    // their own topology when they connect.
    try {
      events::AmqpConnection connection(options.url);
      for (const auto& consumer : consumers) {
        events::declareConsumerTopology(connection, options, consumer.name, consumer.patterns);
      }
      if (delivery.relay) {
        for (const auto& queue : delivery.queues) {
          events::declareConsumerTopology(connection, options, queue.name, queue.patterns);
        }
      }
    } catch (const std::exception& e) {
      logger.warn("RabbitMQ not reachable at start-up; will keep trying", {{"error", e.what()}});
    }
    if (delivery.relay) {
      workers.push_back(std::make_unique<events::AmqpRelay>(options, sources.all(),
                                                            sources.doorbell(), logger, metrics));
    }
    if (delivery.consume) {
      for (auto& consumer : consumers) {
        workers.push_back(
            std::make_unique<events::AmqpConsumer>(options, std::move(consumer), logger, metrics));
      }
    }
    logger.info("events delivered through RabbitMQ",
                {{"exchange", std::string_view(options.exchange)},
                 {"relay", delivery.relay},
                 {"consumers", delivery.consume}});
    for (auto& worker : workers) worker->start();
    return workers;
  }
  if (!delivery.relay || !delivery.consume) {
    // requireAmqpFor() refuses this configuration before anything starts.
    throw std::logic_error("--target=" + config.target + " without amqp.url");
  }
  const auto consumer_count = static_cast<std::int64_t>(consumers.size());
  events::DispatcherOptions options;
  options.retry = retryPolicy(config);
  workers.push_back(std::make_unique<events::LocalDispatcher>(
      sources.all(), std::move(consumers), sources.doorbell(), options, logger, metrics));
  logger.info("events delivered in process", {{"consumers", consumer_count}});
  for (auto& worker : workers) worker->start();
  return workers;
}

std::vector<DeadLetterEntry> listDeadLetters(const config::Config& config,
                                             const EventSources& sources,
                                             const std::string& consumer) {
  std::vector<DeadLetterEntry> entries;
  if (config.amqp_url) {
    const auto options = amqpOptions(config);
    for (const auto& name : consumersNamed(consumer)) {
      for (auto& dead : events::listDeadLetters(options, name)) {
        if (dead.event.id.empty()) dead.event.payload = dead.raw_body;  // not an event at all
        entries.push_back({events::deadLetterQueueName(options, name), std::move(dead.event),
                           dead.attempts, std::move(dead.dead_at), std::move(dead.last_error)});
      }
    }
    return entries;
  }
  for (const events::Outbox* outbox : sources.all()) {
    for (auto& dead : outbox->dead(10000)) {
      entries.push_back({"outbox:" + outbox->source(), std::move(dead.event), dead.attempts,
                         std::move(dead.dead_at), std::move(dead.last_error)});
    }
  }
  return entries;
}

std::size_t replayDeadLetters(const config::Config& config, const EventSources& sources,
                              const std::string& consumer, const std::string& event_id) {
  std::size_t revived = 0;
  if (config.amqp_url) {
    const auto options = amqpOptions(config);
    for (const auto& name : consumersNamed(consumer)) {
      revived += events::replayDeadLetters(options, name, event_id);
    }
    return revived;
  }
  for (const events::Outbox* outbox : sources.all()) revived += outbox->revive(event_id);
  return revived;
}

void requireAmqpFor(const config::Config& config, const Delivery& delivery) {
  if (config.amqp_url || (delivery.relay && delivery.consume)) return;
  throw UsageError("--target=" + config.target +
                   " needs amqp.url (EMPORIUM_AMQP_URL, or [amqp] url in the --config file): "
                   "without RabbitMQ the "
                   "events are delivered in process, by a target that both publishes and "
                   "consumes them (all, or one service)");
}

}  // namespace emporium::app
