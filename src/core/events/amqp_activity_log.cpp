#include "core/events/amqp_activity_log.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "core/util/ids.hpp"

namespace emporium::events {
namespace {

// replay() stops when the stream sends nothing for this long: caught up.
constexpr std::chrono::milliseconds kCaughtUp{1000};
constexpr int kReplayPrefetch = 500;
// Retention: streams are trimmed by age, segment by segment.
constexpr std::string_view kMaxAge = "7D";

}  // namespace

AmqpActivityLog::AmqpActivityLog(AmqpOptions options, const log::Logger& logger)
    : options_(std::move(options)), logger_(logger), thread_([this] { run(); }) {}

AmqpActivityLog::~AmqpActivityLog() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void AmqpActivityLog::declareStream(AmqpConnection& connection) const {
  connection.declareQueue(
      options_.activity_stream,
      AmqpTable{{"x-queue-type", std::string("stream")}, {"x-max-age", std::string(kMaxAge)}});
}

void AmqpActivityLog::record(std::string_view type, std::string payload) {
  Event event{.id = util::newId("evt"),
              .type = std::string(type),
              .version = 1,
              .occurred_at = util::nowRfc3339(),
              .source = "activity",
              .payload = std::move(payload)};
  {
    const std::lock_guard lock(mutex_);
    if (queue_.size() >= kCapacity) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(event));
    ++recorded_;
    // The publisher sleeps until the first event, or lingers until a full
    // batch: waking it for every event would cost a context switch each.
    if (queue_.size() != 1 && queue_.size() != kBatch) return;
  }
  work_cv_.notify_one();
}

void AmqpActivityLog::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = recorded_;
  ++flushing_;
  work_cv_.notify_one();
  if (!done_cv_.wait_for(lock, kFlushTimeout, [&] { return confirmed_ >= target; })) {
    logger_.warn("activity log: flush timed out; events still queued",
                 {{"queued", static_cast<std::uint64_t>(queue_.size())}});
  }
  --flushing_;
}

void AmqpActivityLog::run() {
  std::unique_ptr<AmqpConnection> connection;
  bool outage = false;
  std::chrono::milliseconds delay = options_.reconnect_delay;
  for (;;) {
    std::vector<Event> batch;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      work_cv_.wait_for(lock, kLinger,
                        [this] { return stopping_ || flushing_ > 0 || queue_.size() >= kBatch; });
      const std::size_t n = std::min(queue_.size(), kBatch);
      // Copies: the events stay queued (and count against the capacity)
      // until confirmed, so a failed batch goes again in order.
      batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    bool stopping = false;
    try {
      if (!connection) {
        connection = std::make_unique<AmqpConnection>(options_.url);
        declareStream(*connection);
        connection->confirmSelect();
        if (outage) logger_.info("activity log: RabbitMQ is back");
        outage = false;
        delay = options_.reconnect_delay;
      }
      for (const Event& event : batch) {
        const std::string body = toJson(event);
        connection->publish(OutgoingMessage{.exchange = "",
                                            .routing_key = options_.activity_stream,
                                            .body = body,
                                            .message_id = event.id,
                                            .type = event.type});
      }
      // A nacked activity event is not worth a resend loop: analytics.
      const std::size_t nacked = connection->waitConfirms(kAmqpConfirmTimeout).size();
      if (nacked > 0) {
        logger_.warn("activity log: broker nacked events; dropped",
                     {{"count", static_cast<std::uint64_t>(nacked)}});
        dropped_.fetch_add(nacked, std::memory_order_relaxed);
      }
      {
        const std::lock_guard lock(mutex_);
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
        confirmed_ += batch.size();
      }
      done_cv_.notify_all();
    } catch (const AmqpError& e) {
      connection.reset();
      if (!outage) {
        logger_.warn("activity log: RabbitMQ unavailable; events queue in memory",
                     {{"error", std::string_view(e.what())}});
        outage = true;
      }
      std::unique_lock lock(mutex_);
      if (stopping_) {
        // Shutting down without a broker: what is queued is lost; say so.
        logger_.warn("activity log: stopping with unsent events",
                     {{"count", static_cast<std::uint64_t>(queue_.size())}});
        dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
        confirmed_ += queue_.size();
        queue_.clear();
        stopping = true;
      } else {
        work_cv_.wait_for(lock, delay, [this] { return stopping_; });
        delay = std::min(delay * 2, kAmqpMaxReconnectDelay);
      }
    }
    if (stopping) {
      done_cv_.notify_all();
      return;
    }
  }
}

std::size_t AmqpActivityLog::replay(std::chrono::system_clock::time_point from,
                                    const std::function<void(const Event&)>& sink) {
  AmqpConnection connection(options_.url);
  declareStream(connection);
  // Streams need a prefetch and manual acks; the offset is a timestamp in
  // whole seconds, and the stream starts at the chunk holding it, so earlier
  // events can come first: filtered by occurred_at below.
  connection.qos(kReplayPrefetch);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(from.time_since_epoch()).count();
  connection.consume(options_.activity_stream,
                     AmqpTable{{"x-stream-offset", AmqpTimestamp{seconds}}});
  // Fixed-width RFC 3339 UTC compares correctly as text.
  const std::string from_text = util::formatRfc3339(from);
  std::size_t count = 0;
  while (const std::optional<Delivery> delivery = connection.next(kCaughtUp)) {
    if (const std::optional<Event> event = parseEvent(delivery->body)) {
      if (event->occurred_at >= from_text) {
        sink(*event);
        ++count;
      }
    }
    connection.ack(delivery->delivery_tag);
  }
  return count;
}

}  // namespace emporium::events
