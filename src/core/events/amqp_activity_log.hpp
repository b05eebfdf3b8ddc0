#pragma once
// The activity log on a RabbitMQ stream queue: record() never blocks (a
// bounded in-memory queue, drops counted when full), a background thread
// publishes batches with confirms, and replay() reads the stream from a
// point in time.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "core/events/activity_log.hpp"
#include "core/events/amqp_connection.hpp"
#include "core/log/logger.hpp"

namespace emporium::events {

class AmqpActivityLog final : public ActivityLog {
 public:
  static constexpr std::size_t kCapacity = 10000;  // queued events before drops
  static constexpr std::size_t kBatch = 256;
  /// How long a batch smaller than kBatch waits for more events before it is
  /// published (flush() and stopping do not wait). Each batch costs the
  /// broker a publisher-confirm round trip: a process recording a few
  /// thousand views a second would otherwise publish a handful per batch,
  /// and RabbitMQ spent more CPU per page than the shop did (bench/topology.sh).
  static constexpr std::chrono::milliseconds kLinger{20};

  AmqpActivityLog(AmqpOptions options, const log::Logger& logger);
  /// Publishes what is queued (one attempt) and stops the thread.
  ~AmqpActivityLog() override;
  AmqpActivityLog(const AmqpActivityLog&) = delete;
  AmqpActivityLog& operator=(const AmqpActivityLog&) = delete;

  void record(std::string_view type, std::string payload) override;
  /// Waits until everything recorded before the call is confirmed by the
  /// broker; gives up (logs, returns) after `kFlushTimeout`.
  void flush() override;
  std::size_t replay(std::chrono::system_clock::time_point from,
                     const std::function<void(const Event&)>& sink) override;

  /// Events dropped because the queue was full.
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  static constexpr std::chrono::seconds kFlushTimeout{30};

 private:
  void run();
  // Declares the stream; the same arguments everywhere, or the broker refuses.
  void declareStream(AmqpConnection& connection) const;

  AmqpOptions options_;
  const log::Logger& logger_;
  std::atomic<std::uint64_t> dropped_{0};

  std::mutex mutex_;
  std::condition_variable work_cv_;  // the thread: events queued, or stopping
  std::condition_variable done_cv_;  // flush(): something was confirmed
  std::deque<Event> queue_;
  std::uint64_t recorded_ = 0;   // events queued so far
  std::uint64_t confirmed_ = 0;  // of those, confirmed or given up on
  int flushing_ = 0;             // flush() calls waiting: no lingering for them
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace emporium::events
