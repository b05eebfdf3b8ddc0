#pragma once
// Internal to emporium_cache: the thread that listens on the invalidation
// channel with its own connection, reconnecting with backoff.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "core/cache/redis_connection.hpp"
#include "core/cache/tiered_cache.hpp"

namespace emporium::cache::detail {

class InvalidationSubscriber {
 public:
  struct Callbacks {
    /// After each (re)subscription, before any message is delivered.
    std::function<void()> on_subscribed;
    /// Each message published on the channel.
    std::function<void(std::string_view payload)> on_message;
    /// While subscribed, between messages: at least every kPollInterval.
    std::function<void()> on_idle;
  };

  /// Starts the thread; it connects in the background.
  InvalidationSubscriber(RedisEndpoint endpoint, RedisOptions options, std::string channel,
                         Callbacks callbacks);
  /// Stops and joins the thread (it notices within kPollInterval, or a connect timeout).
  ~InvalidationSubscriber();
  InvalidationSubscriber(const InvalidationSubscriber&) = delete;
  InvalidationSubscriber& operator=(const InvalidationSubscriber&) = delete;

  bool subscribed() const { return subscribed_.load(std::memory_order_acquire); }

  /// How often the thread looks at its stop flag while waiting for messages.
  static constexpr std::chrono::milliseconds kPollInterval{100};
  /// A connection quiet this long gets a PING, and is given up on if the PONG
  /// takes as long again: finds a server that hangs without closing the socket.
  static constexpr std::chrono::milliseconds kPingInterval{1000};

 private:
  void run(const std::stop_token& stop);
  bool subscribe(redisContext& context) const;
  void listen(redisContext& context, const std::stop_token& stop);
  void deliver(const redisReply& reply);

  RedisEndpoint endpoint_;
  RedisOptions options_;
  std::string channel_;
  Callbacks callbacks_;
  std::atomic<bool> subscribed_{false};
  std::mutex wait_mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started once everything it uses exists
};

}  // namespace emporium::cache::detail
