#pragma once
// Internal to emporium_cache: the Redis tier (L3) as TieredCache uses it.
// Blocking hiredis calls with short timeouts, a small connection pool, and a
// breaker: after a failure Redis is skipped for a backoff period (doubling up
// to a maximum) before one caller tries it again, so a dead or slow Redis
// costs one timeout per backoff period, not one per request. Every operation
// that fails or is skipped is counted in errors() and reported as false /
// nullopt; none throws for a Redis failure.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/cache/redis_connection.hpp"
#include "core/cache/tiered_cache.hpp"
#include "core/redis/connection_pool.hpp"

namespace emporium::cache::detail {

class RedisTier {
 public:
  /// Throws std::invalid_argument for a malformed URL. Tries Redis once (bounded
  /// by the timeouts) so that up() is true to fact from the start.
  RedisTier(const std::string& url, const RedisOptions& options);
  ~RedisTier();
  RedisTier(const RedisTier&) = delete;
  RedisTier& operator=(const RedisTier&) = delete;

  struct Lookup {
    bool ok = false;                   // Redis answered
    std::optional<std::string> value;  // the stored value, when ok and present
  };
  /// GET of the prefixed key.
  Lookup get(std::string_view key);
  /// SET of the prefixed key with an expiry (whole seconds, at least 1).
  bool set(std::string_view key, std::string_view value, std::chrono::seconds ttl);
  /// DEL of the prefixed key, without telling anyone.
  bool remove(std::string_view key);
  /// DEL of the prefixed keys, then PUBLISH message on the channel (one round trip).
  bool invalidate(std::span<const std::string> keys, std::string_view message);
  /// Atomically: INCR the generation key, raised to at least floor + 1, and PUBLISH
  /// message_prefix followed by the new value. The new value, or nullopt on failure.
  std::optional<std::uint64_t> bumpGeneration(std::uint64_t floor, std::string_view message_prefix);
  /// The generation stored in Redis (0 when unset), or nullopt on failure.
  std::optional<std::uint64_t> readGeneration();

  /// Ends the backoff: the subscriber has just reached Redis again.
  void markUp();
  bool up() const { return pool_.healthy(); }
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

  const RedisEndpoint& endpoint() const { return endpoint_; }
  const std::string& channel() const { return channel_; }

 private:
  struct Connection {
    ContextPtr context;
    bool closed_by_peer = false;  // the last failure was the server closing the socket
  };
  using Outcome = redis::Outcome;

  template <typename Op>
  bool run(Op&& op);
  static Outcome ioError(Connection& connection);
  std::string redisKey(std::string_view key) const;
  std::unique_ptr<Connection> connect() const;

  RedisEndpoint endpoint_;
  RedisOptions options_;
  std::string channel_;
  std::string generation_key_;
  std::atomic<std::uint64_t> errors_{0};
  redis::ConnectionPool<Connection> pool_;
};

}  // namespace emporium::cache::detail
