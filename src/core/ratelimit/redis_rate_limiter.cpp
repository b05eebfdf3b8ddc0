#include "core/ratelimit/redis_rate_limiter.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <utility>

namespace emporium::ratelimit {
namespace {

constexpr int kDefaultPort = 6379;

// KEYS[1]: the bucket, a hash {tokens, ts (µs, Redis clock)}; ARGV: capacity, refill/s.
// Returns {allowed 0|1, retry_after ms (-1: never), tokens left as a string}. Mirrors
// takeToken() in local_rate_limiter.cpp, operation for operation. A full bucket is
// deleted (it is the same as no bucket); any other expires when it would be full again.
constexpr std::string_view kTakeScript = R"lua(
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  if rate > 0 then tokens = tokens + (now - ts) / 1000000 * rate end
  ts = now
end
if tokens > capacity then tokens = capacity end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
elseif rate <= 0 or capacity < 1 then
  retry = -1
else
  retry = math.ceil((1 - tokens) * 1000 / rate)
  if not (retry <= 1e12) then retry = -1 elseif retry < 1 then retry = 1 end
end
if tokens >= capacity then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', ts)
  local ttl = -1
  if rate > 0 then ttl = math.ceil((capacity - tokens) * 1000 / rate) end
  if ttl > 0 and ttl <= 1e12 then
    redis.call('PEXPIRE', KEYS[1], ttl)
  else
    redis.call('PERSIST', KEYS[1])
  end
end
return {allowed, retry, tostring(tokens)}
)lua";

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval toTimeval(std::chrono::milliseconds timeout) {
  const auto ms = std::max<std::int64_t>(1, timeout.count());
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

// Null after an I/O error or a timeout, which leave the context unusable (context.err).
ReplyPtr command(redisContext& context, std::initializer_list<std::string_view> args) {
  constexpr std::size_t kMaxArgs = 8;
  std::array<const char*, kMaxArgs> argv{};
  std::array<std::size_t, kMaxArgs> lengths{};
  std::size_t argc = 0;
  for (const std::string_view arg : args) {
    if (argc == kMaxArgs) return nullptr;
    argv[argc] = arg.data();
    lengths[argc] = arg.size();
    ++argc;
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(&context, static_cast<int>(argc), argv.data(), lengths.data())));
}

std::string_view text(const redisReply& reply) {
  return reply.str == nullptr ? std::string_view() : std::string_view(reply.str, reply.len);
}

bool isOk(const ReplyPtr& reply) {
  return reply && reply->type == REDIS_REPLY_STATUS && text(*reply) == "OK";
}

std::string formatNumber(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return {buffer.data(), result.ptr};
}

std::optional<Decision> parseDecision(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3) return std::nullopt;
  const redisReply& allowed = *reply.element[0];
  const redisReply& retry = *reply.element[1];
  const redisReply& tokens = *reply.element[2];
  if (allowed.type != REDIS_REPLY_INTEGER || retry.type != REDIS_REPLY_INTEGER ||
      tokens.type != REDIS_REPLY_STRING) {
    return std::nullopt;
  }
  double remaining = 0;
  const std::string_view tokens_text = text(tokens);
  const auto parsed =
      std::from_chars(tokens_text.data(), tokens_text.data() + tokens_text.size(), remaining);
  if (parsed.ec != std::errc{}) return std::nullopt;
  Decision decision{allowed.integer == 1, std::chrono::milliseconds(0), std::max(0.0, remaining)};
  if (!decision.allowed) {
    decision.retry_after =
        retry.integer < 0 ? kRetryNever : std::chrono::milliseconds(retry.integer);
  }
  return decision;
}

}  // namespace

struct RedisRateLimiter::Connection {
  ContextPtr context;
  std::string script_sha;
  // The last command failed because the server had closed the connection (not a timeout).
  bool closed_by_peer = false;
};

RedisRateLimiter::RedisRateLimiter(const std::string& url, RedisRateLimiterOptions options)
    : server_(deps::parseServerUrl(url, kDefaultPort)),
      options_(std::move(options)),
      pool_({options_.pool_size, options_.command_timeout, options_.initial_backoff,
             options_.max_backoff},
            [this] { return connect(); }) {
  if (server_.scheme != "redis") {
    throw std::invalid_argument("redis URL must start with redis:// (not " + server_.scheme + ")");
  }
  if (!server_.path.empty()) {
    const char* end = server_.path.data() + server_.path.size();
    const auto parsed = std::from_chars(server_.path.data(), end, database_);
    if (parsed.ec != std::errc{} || parsed.ptr != end || database_ < 0) {
      throw std::invalid_argument("redis URL path must be a database number, not '" + server_.path +
                                  "'");
    }
  }
  // One attempt now, so that healthy() is true to fact from the start and a dead server
  // is skipped from the first take on.
  pool_.probe();
}

RedisRateLimiter::~RedisRateLimiter() = default;

Decision RedisRateLimiter::take(std::string_view key, const Limit& limit) {
  // Redis cannot be handed inf or NaN; such a limit is a bug, answered locally.
  if (!std::isfinite(limit.capacity) || !std::isfinite(limit.refill_per_second)) {
    return fallback(key, limit);
  }
  std::optional<Decision> decision;
  // An answer Redis gave but that does not parse counts as a failure of Redis.
  const bool answered = pool_.run([&](Connection& connection) {
    decision = evaluate(connection, key, limit);
    return decision ? redis::Outcome::kOk : redis::Outcome::kFailed;
  });
  if (answered && decision) return *decision;
  return fallback(key, limit);
}

bool RedisRateLimiter::healthy() const { return pool_.healthy(); }

std::uint64_t RedisRateLimiter::fallbacks() const {
  return fallbacks_.load(std::memory_order_relaxed);
}

std::unique_ptr<RedisRateLimiter::Connection> RedisRateLimiter::connect() const {
  ContextPtr context(redisConnectWithTimeout(server_.host.c_str(), server_.port,
                                             toTimeval(options_.connect_timeout)));
  if (!context || context->err != 0) return nullptr;
  if (redisSetTimeout(context.get(), toTimeval(options_.command_timeout)) != REDIS_OK) {
    return nullptr;
  }
  // Lets the kernel notice a peer that vanished while the connection sat idle.
  redisEnableKeepAlive(context.get());
  if (!server_.password.empty()) {
    const ReplyPtr reply = server_.user.empty()
                               ? command(*context, {"AUTH", server_.password})
                               : command(*context, {"AUTH", server_.user, server_.password});
    if (!isOk(reply)) return nullptr;
  }
  if (database_ != 0) {
    const std::string database = std::to_string(database_);
    if (!isOk(command(*context, {"SELECT", database}))) return nullptr;
  }
  auto connection = std::make_unique<Connection>();
  connection->context = std::move(context);
  if (!loadScript(*connection)) return nullptr;
  return connection;
}

bool RedisRateLimiter::loadScript(Connection& connection) const {
  const ReplyPtr reply = command(*connection.context, {"SCRIPT", "LOAD", kTakeScript});
  if (!reply || reply->type != REDIS_REPLY_STRING) return false;
  connection.script_sha = std::string(text(*reply));
  return true;
}

std::optional<Decision> RedisRateLimiter::evaluate(Connection& connection, std::string_view key,
                                                   const Limit& limit) const {
  std::string redis_key;
  redis_key.reserve(options_.key_prefix.size() + key.size());
  redis_key.append(options_.key_prefix).append(key);
  const std::string capacity = formatNumber(limit.capacity);
  const std::string refill = formatNumber(limit.refill_per_second);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const ReplyPtr reply = command(
        *connection.context, {"EVALSHA", connection.script_sha, "1", redis_key, capacity, refill});
    if (!reply) {
      const int error = errno;
      const int kind = connection.context->err;
      connection.closed_by_peer = kind == REDIS_ERR_EOF ||
                                  (kind == REDIS_ERR_IO && (error == ECONNRESET || error == EPIPE));
      return std::nullopt;
    }
    // The script cache is empty after a restart or SCRIPT FLUSH: load it and retry once.
    if (attempt == 0 && reply->type == REDIS_REPLY_ERROR && text(*reply).starts_with("NOSCRIPT")) {
      if (!loadScript(connection)) return std::nullopt;
      continue;
    }
    return parseDecision(*reply);
  }
  return std::nullopt;
}

Decision RedisRateLimiter::fallback(std::string_view key, const Limit& limit) {
  fallbacks_.fetch_add(1, std::memory_order_relaxed);
  return fallback_.take(key, limit);
}

}  // namespace emporium::ratelimit
