#include "core/events/amqp_relay.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

namespace emporium::events {
namespace {

constexpr std::chrono::milliseconds kPollInterval{500};

std::int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AmqpRelay::AmqpRelay(AmqpOptions options, std::vector<const Outbox*> outboxes, Doorbell& doorbell,
                     const log::Logger& logger, EventMetrics& metrics)
    : options_(std::move(options)),
      outboxes_(std::move(outboxes)),
      doorbell_(doorbell),
      logger_(logger),
      metrics_(metrics),
      purge_(options_.outbox_purge) {}

AmqpRelay::~AmqpRelay() { stop(); }

void AmqpRelay::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void AmqpRelay::stop() {
  {
    const std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  doorbell_.ring();  // wakes a pass waiting for new events
  if (thread_.joinable()) thread_.join();
}

void AmqpRelay::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mutex_);
  stop_cv_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void AmqpRelay::run() {
  std::unique_ptr<AmqpConnection> connection;
  bool outage = false;
  std::chrono::milliseconds delay = options_.reconnect_delay;
  while (!stopping_) {
    try {
      if (!connection) {
        connection = std::make_unique<AmqpConnection>(options_.url);
        connection->declareExchange(options_.exchange);
        connection->confirmSelect();
        // One line per outage, not per retry: an unreachable broker would
        // otherwise flood the log every reconnect_delay.
        if (outage) logger_.info("events relay: RabbitMQ is back");
        outage = false;
        delay = options_.reconnect_delay;
      }
      if (!pass(*connection)) {
        purge_.runIfDue(outboxes_, logger_);
        connection->poll();
        doorbell_.waitFor(kPollInterval);
      }
    } catch (const AmqpError& e) {
      connection.reset();
      if (!outage) {
        logger_.warn("events relay: RabbitMQ unavailable; events stay in the outbox",
                     {{"error", std::string_view(e.what())}});
        outage = true;
      }
      pause(delay);
      delay = std::min(delay * 2, kAmqpMaxReconnectDelay);
    } catch (const std::exception& e) {
      // The outbox database failed: keep the connection, try again later.
      logger_.error("events relay: outbox pass failed", {{"error", std::string_view(e.what())}});
      pause(options_.reconnect_delay);
    }
  }
}

bool AmqpRelay::pass(AmqpConnection& connection) {
  bool more = false;
  for (const Outbox* outbox : outboxes_) {
    if (stopping_) break;
    const std::vector<Event> events = outbox->due(kBatch);
    if (events.empty()) continue;
    const std::int64_t now = nowSeconds();
    std::vector<std::uint64_t> seqs;
    seqs.reserve(events.size());
    for (const Event& event : events) {
      const std::string body = toJson(event);
      seqs.push_back(connection.publish(OutgoingMessage{.exchange = options_.exchange,
                                                        .routing_key = event.type,
                                                        .body = body,
                                                        .message_id = event.id,
                                                        .type = event.type,
                                                        .timestamp = now}));
    }
    const std::vector<std::uint64_t> nacked = connection.waitConfirms(kAmqpConfirmTimeout);
    std::vector<std::string> confirmed;
    confirmed.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (std::find(nacked.begin(), nacked.end(), seqs[i]) == nacked.end()) {
        confirmed.push_back(events[i].id);
      }
    }
    if (!confirmed.empty()) {
      outbox->markPublished(confirmed);
      metrics_.published(confirmed.size());
    }
    if (!nacked.empty()) {
      // A nack means the broker could not take them (a full reject-publish
      // queue, a disk alarm); they stay pending and go again next pass.
      // Logged once per episode, like an outage.
      if (!nacking_) {
        logger_.warn("events relay: broker nacked events; they stay pending",
                     {{"source", std::string_view(outbox->source())},
                      {"count", static_cast<std::uint64_t>(nacked.size())}});
      }
      nacking_ = true;
      return false;
    }
    if (nacking_) logger_.info("events relay: broker accepts events again");
    nacking_ = false;
    if (events.size() == kBatch) more = true;
  }
  return more;
}

}  // namespace emporium::events
