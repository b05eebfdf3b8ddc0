#pragma once
// RabbitMQ queue -> Consumer::handle. Each consumer has its own durable
// queue bound to the exchange with its patterns, fixed-delay retry queues
// (one per attempt, so a short delay never waits behind a long one) that
// dead-letter back into the main queue, and a dead-letter queue. Messages
// are acked only after the handler returned or the failed message was safely
// (confirmed) moved on, so a consumer that dies mid-event gets it back.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/events/amqp_connection.hpp"
#include "core/events/consumer.hpp"
#include "core/events/event_metrics.hpp"
#include "core/log/logger.hpp"

namespace emporium::events {

/// Queue names for a consumer under `options.queue_prefix`.
std::string mainQueueName(const AmqpOptions& options, std::string_view consumer);
/// The queue a message waits in after failing attempt `failed_attempt` (1-based).
std::string retryQueueName(const AmqpOptions& options, std::string_view consumer,
                           int failed_attempt);
std::string deadLetterQueueName(const AmqpOptions& options, std::string_view consumer);

/// Declares the exchange and a consumer's queues and bindings; idempotent,
/// so the relay, consumers and tools may each do it in any order. Events
/// published before a consumer's queue exists are not kept for it: declare
/// every consumer's topology at deployment (or start consumers first).
void declareConsumerTopology(AmqpConnection& connection, const AmqpOptions& options,
                             std::string_view consumer, const std::vector<std::string>& patterns);

/// Deletes a consumer's queues (tests, decommissioning).
void deleteConsumerTopology(AmqpConnection& connection, const AmqpOptions& options,
                            std::string_view consumer);

class AmqpConsumer final : public Worker {
 public:
  AmqpConsumer(AmqpOptions options, Consumer consumer, const log::Logger& logger,
               EventMetrics& metrics);
  ~AmqpConsumer() override;
  AmqpConsumer(const AmqpConsumer&) = delete;
  AmqpConsumer& operator=(const AmqpConsumer&) = delete;

  void start() override;
  /// Returns after the event being handled (if any) is finished and acked;
  /// messages prefetched but not started go back to the queue.
  void stop() override;

 private:
  void run();
  void process(const Delivery& delivery, AmqpConnection& consuming, AmqpConnection& publishing);
  void pause(std::chrono::milliseconds delay);

  AmqpOptions options_;
  Consumer consumer_;
  const log::Logger& logger_;
  EventMetrics& metrics_;
  std::string queue_;

  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::thread thread_;
};

}  // namespace emporium::events
