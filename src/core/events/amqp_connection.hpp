#pragma once
// One blocking AMQP 0-9-1 connection (rabbitmq-c) with one channel, for the
// relay, the consumers, the dead-letter tools and the activity log. Not
// thread-safe: each of those owns its connections on its own thread. Every
// failure throws AmqpError with readable text; after one, the connection is
// unusable and its owner drops it and reconnects.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/events/consumer.hpp"
#include "core/events/published_purge.hpp"

struct amqp_connection_state_t_;

namespace emporium::events {

/// How long a publisher waits for the broker to confirm a message, and the
/// longest pause between reconnect attempts, for every AMQP client here.
inline constexpr std::chrono::milliseconds kAmqpConfirmTimeout{10000};
inline constexpr std::chrono::milliseconds kAmqpMaxReconnectDelay{30000};

/// Where and how events travel over RabbitMQ.
struct AmqpOptions {
  std::string url;                                    // amqp://user:pass@host:port/vhost
  std::string exchange = "emporium.events";           // durable topic exchange; routing key = type
  std::string queue_prefix = "emporium.";             // consumer queue = prefix + consumer.name
  std::string activity_stream = "emporium.activity";  // x-queue-type=stream, durable
  int prefetch = 32;
  RetryPolicy retry;
  std::chrono::milliseconds reconnect_delay{1000};
  /// The relay deletes outbox rows published longer ago than this, as the
  /// in-process dispatcher does (DispatcherOptions::retention).
  PurgeOptions outbox_purge;
};

/// The broker refused something, or the connection failed or timed out.
class AmqpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An AMQP timestamp field (seconds since the epoch), e.g. x-stream-offset.
struct AmqpTimestamp {
  std::int64_t seconds = 0;
  bool operator==(const AmqpTimestamp&) const = default;
};

/// Header and argument values: the kinds we write and read. Integers of any
/// width read back as int64; other kinds are skipped when reading.
using AmqpValue = std::variant<std::int64_t, std::string, AmqpTimestamp>;
using AmqpTable = std::map<std::string, AmqpValue, std::less<>>;

/// An int header (any integer kind), or nullopt.
std::optional<std::int64_t> tableInt(const AmqpTable& table, std::string_view key);
/// A string header, or empty.
std::string tableString(const AmqpTable& table, std::string_view key);

struct OutgoingMessage {
  std::string_view exchange;  // "" = the default exchange (routing key = queue)
  std::string_view routing_key;
  std::string_view body;
  std::string_view message_id;
  std::string_view type;
  std::int64_t timestamp = 0;  // seconds; 0 = not set
  AmqpTable headers;
};

struct Delivery {
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string routing_key;
  std::string body;
  std::string message_id;
  std::string type;
  AmqpTable headers;
};

class AmqpConnection {
 public:
  /// Connects, logs in and opens channel 1; `timeout` bounds the TCP connect,
  /// the handshake and every later RPC.
  explicit AmqpConnection(const std::string& url,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Closes politely (connection.close) when the connection is still sound;
  /// otherwise just drops the socket.
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  /// A sound connection: no error seen since it opened.
  bool healthy() const noexcept { return !broken_; }

  void declareExchange(std::string_view name, std::string_view type = "topic");
  /// Declares a durable queue; returns the number of messages it holds.
  std::uint32_t declareQueue(std::string_view name, const AmqpTable& arguments = {});
  void bindQueue(std::string_view queue, std::string_view exchange, std::string_view key);
  void deleteQueue(std::string_view name);
  void deleteExchange(std::string_view name);

  /// Puts the channel in confirm mode: every later publish is acked or
  /// nacked by the broker, see waitConfirms().
  void confirmSelect();
  /// Publishes a persistent message; in confirm mode returns its sequence
  /// number (1, 2, ...), else 0.
  std::uint64_t publish(const OutgoingMessage& message);
  /// Waits until the broker acked or nacked every publish so far; returns
  /// the sequence numbers it nacked. Throws AmqpError on timeout.
  std::vector<std::uint64_t> waitConfirms(std::chrono::milliseconds timeout);

  void qos(int prefetch);
  /// basic.consume with manual acks; returns the consumer tag.
  std::string consume(std::string_view queue, const AmqpTable& arguments = {});
  /// The next delivery of a consume(), or nullopt after `timeout` without one.
  std::optional<Delivery> next(std::chrono::milliseconds timeout);
  /// basic.get with manual ack; nullopt when the queue is empty.
  std::optional<Delivery> get(std::string_view queue);
  void ack(std::uint64_t delivery_tag, bool multiple = false);
  void reject(std::uint64_t delivery_tag, bool requeue);

  /// Reads what the broker sent meanwhile without waiting: services
  /// heartbeats on an idle connection and notices a close at once.
  void poll();

 private:
  struct StateDeleter {
    void operator()(amqp_connection_state_t_* state) const noexcept;
  };

  [[noreturn]] void fail(const std::string& what);
  void checkReply(std::string_view what);
  void checkStatus(int status, std::string_view what);
  // Handles one frame that arrived outside an RPC (acks, closes); returns
  // false for anything else.
  bool handleAsyncFrame(const void* frame);

  std::unique_ptr<amqp_connection_state_t_, StateDeleter> state_;
  bool broken_ = false;
  bool confirming_ = false;
  std::uint64_t next_seq_ = 1;
  std::uint64_t acked_through_ = 0;             // every seq <= this is settled
  std::map<std::uint64_t, bool> out_of_order_;  // settled seqs > acked_through_ (true = nacked)
  std::vector<std::uint64_t> nacked_;
};

}  // namespace emporium::events
