#pragma once
// Token buckets in Redis, shared by every instance of the shop: one atomic Lua
// script per take, timed by the Redis server's clock so that instances with
// skewed clocks agree. Needs Redis 7 (TIME before a write in a script).
//
// Redis must never take the shop down with it: when it is down, slow or
// answering errors, each take is answered by in-process buckets instead (so
// limits then hold per instance), and Redis is left alone for a backoff period
// before one caller tries it again. Uses blocking hiredis calls with short
// timeouts: call take() off the event loops. The process must ignore SIGPIPE
// (`emporium serve` does), as hiredis writes to sockets the server may have closed.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/deps/url.hpp"
#include "core/ratelimit/local_rate_limiter.hpp"
#include "core/ratelimit/rate_limiter.hpp"
#include "core/redis/connection_pool.hpp"

namespace emporium::ratelimit {

/// Tuning of a RedisRateLimiter; the defaults suit production.
struct RedisRateLimiterOptions {
  /// Prepended to every bucket name to make the Redis key.
  std::string key_prefix = "emporium:rl:";
  /// Connections kept open at most; a take waits up to command_timeout for a free one.
  std::size_t pool_size = 4;
  std::chrono::milliseconds connect_timeout{100};
  /// Per Redis command (send or receive).
  std::chrono::milliseconds command_timeout{100};
  /// Redis is skipped this long after a failure, doubling on each failed retry up to max_backoff.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
};

/// Token buckets kept in Redis with the same semantics as LocalRateLimiter.
class RedisRateLimiter final : public RateLimiter {
 public:
  /// url is redis://[[user]:password@]host[:port][/db]. Throws std::invalid_argument when it
  /// is malformed. Tries to connect once (bounded by the timeouts) but never fails for an
  /// unreachable server: takes use the fallback until Redis answers.
  explicit RedisRateLimiter(const std::string& url, RedisRateLimiterOptions options = {});
  ~RedisRateLimiter() override;
  RedisRateLimiter(const RedisRateLimiter&) = delete;
  RedisRateLimiter& operator=(const RedisRateLimiter&) = delete;

  /// Takes one token from the bucket named key in Redis, or in process memory when Redis
  /// fails (counted by fallbacks()). Thread-safe; never throws for a backend failure.
  Decision take(std::string_view key, const Limit& limit) override;

  /// False from a Redis failure until Redis answers again (takes are then answered locally).
  bool healthy() const;

  /// Takes answered by the in-process fallback since construction.
  std::uint64_t fallbacks() const;

 private:
  struct Connection;

  std::unique_ptr<Connection> connect() const;
  bool loadScript(Connection& connection) const;
  std::optional<Decision> evaluate(Connection& connection, std::string_view key,
                                   const Limit& limit) const;
  Decision fallback(std::string_view key, const Limit& limit);

  deps::ServerUrl server_;
  int database_ = 0;
  RedisRateLimiterOptions options_;
  LocalRateLimiter fallback_;
  std::atomic<std::uint64_t> fallbacks_{0};
  redis::ConnectionPool<Connection> pool_;
};

}  // namespace emporium::ratelimit
