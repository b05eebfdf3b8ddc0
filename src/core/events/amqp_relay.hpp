#pragma once
// Outbox -> RabbitMQ. One thread publishes every due outbox event to the
// topic exchange (routing key = event type) with publisher confirms, and
// marks events published only once the broker has confirmed them. Anything
// unconfirmed stays pending and goes again after a reconnect, so a message
// may reach a consumer twice; consumers deduplicate by event id.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/events/amqp_connection.hpp"
#include "core/events/consumer.hpp"
#include "core/events/event_metrics.hpp"
#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"

namespace emporium::events {

class AmqpRelay final : public Worker {
 public:
  /// Events per outbox per publish batch. A backlog drains at a confirm
  /// round trip and a markPublished transaction per batch: on 2 cores 100
  /// gave ~3.6k events/s, 500 ~6k (bench/events.sh). Only a backlog fills it.
  static constexpr std::size_t kBatch = 500;

  AmqpRelay(AmqpOptions options, std::vector<const Outbox*> outboxes, Doorbell& doorbell,
            const log::Logger& logger, EventMetrics& metrics);
  ~AmqpRelay() override;
  AmqpRelay(const AmqpRelay&) = delete;
  AmqpRelay& operator=(const AmqpRelay&) = delete;

  void start() override;
  void stop() override;

 private:
  void run();
  // Publishes one batch per outbox; true when some outbox had a full batch
  // (more may be waiting).
  bool pass(AmqpConnection& connection);
  // Sleeps `delay` or until stop().
  void pause(std::chrono::milliseconds delay);

  AmqpOptions options_;
  std::vector<const Outbox*> outboxes_;
  Doorbell& doorbell_;
  const log::Logger& logger_;
  EventMetrics& metrics_;

  PublishedPurge purge_;  // relay thread only
  bool nacking_ = false;  // relay thread only
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::thread thread_;
};

}  // namespace emporium::events
