#include "core/events/amqp_consumer.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "core/util/ids.hpp"

namespace emporium::events {
namespace {

// How long one wait for a delivery blocks: the latency of stop().
constexpr std::chrono::milliseconds kReceiveSlice{200};

}  // namespace

std::string mainQueueName(const AmqpOptions& options, std::string_view consumer) {
  return options.queue_prefix + std::string(consumer);
}

std::string retryQueueName(const AmqpOptions& options, std::string_view consumer,
                           int failed_attempt) {
  return mainQueueName(options, consumer) + ".retry." + std::to_string(failed_attempt);
}

std::string deadLetterQueueName(const AmqpOptions& options, std::string_view consumer) {
  return mainQueueName(options, consumer) + ".dlq";
}

void declareConsumerTopology(AmqpConnection& connection, const AmqpOptions& options,
                             std::string_view consumer, const std::vector<std::string>& patterns) {
  const std::string main = mainQueueName(options, consumer);
  connection.declareExchange(options.exchange);
  connection.declareQueue(main);
  for (const std::string& pattern : patterns) connection.bindQueue(main, options.exchange, pattern);
  // A fixed TTL per queue: every message in it expires in order, so the
  // head never holds back a shorter delay (per-message TTLs would).
  for (int n = 1; n < options.retry.max_attempts; ++n) {
    connection.declareQueue(retryQueueName(options, consumer, n),
                            AmqpTable{{"x-message-ttl", options.retry.delayAfter(n).count()},
                                      {"x-dead-letter-exchange", std::string()},
                                      {"x-dead-letter-routing-key", main}});
  }
  connection.declareQueue(deadLetterQueueName(options, consumer));
}

void deleteConsumerTopology(AmqpConnection& connection, const AmqpOptions& options,
                            std::string_view consumer) {
  connection.deleteQueue(mainQueueName(options, consumer));
  for (int n = 1; n < options.retry.max_attempts; ++n) {
    connection.deleteQueue(retryQueueName(options, consumer, n));
  }
  connection.deleteQueue(deadLetterQueueName(options, consumer));
}

AmqpConsumer::AmqpConsumer(AmqpOptions options, Consumer consumer, const log::Logger& logger,
                           EventMetrics& metrics)
    : options_(std::move(options)),
      consumer_(std::move(consumer)),
      logger_(logger),
      metrics_(metrics),
      queue_(mainQueueName(options_, consumer_.name)) {}

AmqpConsumer::~AmqpConsumer() { stop(); }

void AmqpConsumer::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void AmqpConsumer::stop() {
  {
    const std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AmqpConsumer::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mutex_);
  stop_cv_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void AmqpConsumer::run() {
  bool outage = false;
  std::chrono::milliseconds delay = options_.reconnect_delay;
  const std::string_view name = consumer_.name;
  while (!stopping_) {
    try {
      // Publishing (retries, dead letters) gets a connection of its own:
      // its confirms would otherwise interleave with deliveries.
      AmqpConnection consuming(options_.url);
      declareConsumerTopology(consuming, options_, consumer_.name, consumer_.patterns);
      consuming.qos(options_.prefetch);
      consuming.consume(queue_);
      AmqpConnection publishing(options_.url);
      publishing.confirmSelect();
      if (outage) logger_.info("events consumer: RabbitMQ is back", {{"consumer", name}});
      outage = false;
      delay = options_.reconnect_delay;
      while (!stopping_) {
        const std::optional<Delivery> delivery = consuming.next(kReceiveSlice);
        if (delivery) {
          process(*delivery, consuming, publishing);
        } else {
          publishing.poll();
        }
      }
      // Leaving the scope closes both connections; the broker requeues
      // whatever was prefetched and not acked.
    } catch (const AmqpError& e) {
      if (!outage) {
        logger_.warn("events consumer: RabbitMQ unavailable",
                     {{"consumer", name}, {"error", std::string_view(e.what())}});
        outage = true;
      }
      pause(delay);
      delay = std::min(delay * 2, kAmqpMaxReconnectDelay);
    }
  }
}

void AmqpConsumer::process(const Delivery& delivery, AmqpConnection& consuming,
                           AmqpConnection& publishing) {
  const std::optional<Event> event = parseEvent(delivery.body);
  std::string error;
  bool done = false;
  bool permanent = false;  // no retry can cure it: dead-letter now
  if (!event) {
    error = "not an event (unparseable message body)";
  } else {
    try {
      consumer_.handle(*event);
      done = true;
    } catch (const PermanentFailure& e) {
      error = e.what();
      permanent = true;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "the handler threw a non-std exception";
    }
  }
  if (done) {
    // An ack that fails (AmqpError) ends this connection; the broker then
    // redelivers, and the handler's idempotency absorbs the repeat.
    consuming.ack(delivery.delivery_tag);
    metrics_.handled(consumer_.name, secondsSince(event->occurred_at));
    return;
  }
  metrics_.failed(consumer_.name);
  const int attempt = static_cast<int>(tableInt(delivery.headers, "x-attempt").value_or(1));
  std::string first_failed = tableString(delivery.headers, "x-first-failed-at");
  if (first_failed.empty()) first_failed = util::nowRfc3339();

  OutgoingMessage copy{.exchange = "",
                       .body = delivery.body,
                       .message_id = delivery.message_id,
                       .type = delivery.type};
  std::string target;
  const bool dead = permanent || attempt >= options_.retry.max_attempts;
  if (dead) {
    target = deadLetterQueueName(options_, consumer_.name);
    copy.headers = AmqpTable{{"x-attempts", std::int64_t{attempt}},
                             {"x-last-error", error},
                             {"x-first-failed-at", first_failed},
                             {"x-dead-at", util::nowRfc3339()},
                             {"x-routing-key", delivery.routing_key}};
  } else {
    target = retryQueueName(options_, consumer_.name, attempt);
    copy.headers = AmqpTable{{"x-attempt", std::int64_t{attempt + 1}},
                             {"x-last-error", error},
                             {"x-first-failed-at", first_failed},
                             {"x-routing-key", delivery.routing_key}};
  }
  copy.routing_key = target;
  publishing.publish(copy);
  if (!publishing.waitConfirms(kAmqpConfirmTimeout).empty()) {
    // Not moved: leave the original unacked; it comes back after reconnect.
    throw AmqpError("the broker nacked the move of " + delivery.message_id + " to " + target);
  }
  consuming.ack(delivery.delivery_tag);
  const std::string_view id = event ? std::string_view(event->id) : delivery.message_id;
  if (dead) {
    metrics_.deadLettered(consumer_.name);
    logger_.warn("events consumer: event dead-lettered",
                 {{"consumer", std::string_view(consumer_.name)},
                  {"event_id", id},
                  {"attempts", attempt},
                  {"permanent", permanent},
                  {"error", std::string_view(error)}});
  } else {
    logger_.info("events consumer: handler failed; will retry",
                 {{"consumer", std::string_view(consumer_.name)},
                  {"event_id", id},
                  {"attempt", attempt},
                  {"error", std::string_view(error)}});
  }
}

}  // namespace emporium::events
