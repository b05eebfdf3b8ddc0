#include "app/event_wiring.hpp"

#include <stdexcept>
#include <string>

#include "core/events/local_dispatcher.hpp"
#include "core/events/sql_activity_log.hpp"

namespace emporium::app {

EventSources::EventSources(const Databases& databases) {
  for (const auto source : kEventSources) {
    outboxes_.push_back(std::make_unique<events::Outbox>(
        std::string(source), *databases.find(source)->second, doorbell_));
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

std::unique_ptr<events::ActivityLog> makeActivityLog(const config::Config& /*config*/,
                                                     const Databases& databases,
                                                     const log::Logger& logger) {
  return std::make_unique<events::SqlActivityLog>(*databases.at("activity"),
                                                  events::ActivityLogOptions{}, logger);
}

std::vector<std::unique_ptr<events::Worker>> startDelivery(const config::Config& config,
                                                           EventSources& sources,
                                                           std::vector<events::Consumer> consumers,
                                                           const log::Logger& logger,
                                                           events::EventMetrics& metrics) {
  std::vector<std::unique_ptr<events::Worker>> workers;
  if (config.target == "api" || config.target == "worker") {
    throw std::invalid_argument("--target=" + config.target +
                                " needs amqp.url (EMPORIUM_AMQP_URL): without RabbitMQ the "
                                "events are delivered in process by --target=all");
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

}  // namespace emporium::app
