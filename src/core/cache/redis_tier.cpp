#include "core/cache/redis_tier.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace emporium::cache::detail {
namespace {

// KEYS[1]: the generation counter. ARGV: the caller's generation, the channel, the
// message prefix. INCR, raised past the caller's own value: a process that bumped
// locally while Redis was down may be ahead of Redis, and its bump must still move
// it forward. Publishing from the script keeps it one round trip.
constexpr std::string_view kBumpScript = R"lua(
local value = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if value <= floor then
  value = floor + 1
  redis.call('SET', KEYS[1], value)
end
redis.call('PUBLISH', ARGV[2], ARGV[3] .. value)
return value
)lua";

}  // namespace

RedisTier::RedisTier(const std::string& url, const RedisOptions& options)
    : endpoint_(parseRedisUrl(url)),
      options_(options),
      channel_(options.prefix + "invalidate"),
      generation_key_(options.prefix + "generation"),
      pool_({options_.pool_size, options_.command_timeout, options_.initial_backoff,
             options_.max_backoff},
            [this] { return connect(); }) {
  // One attempt now, so that up() is true to fact from the start and a dead server
  // is skipped from the first request on.
  pool_.probe();
}

RedisTier::~RedisTier() = default;

std::string RedisTier::redisKey(std::string_view key) const {
  std::string redis_key;
  redis_key.reserve(options_.prefix.size() + key.size());
  redis_key.append(options_.prefix).append(key);
  return redis_key;
}

std::unique_ptr<RedisTier::Connection> RedisTier::connect() const {
  ContextPtr context = connectRedis(endpoint_, options_.connect_timeout, options_.command_timeout);
  if (!context) return nullptr;
  auto connection = std::make_unique<Connection>();
  connection->context = std::move(context);
  return connection;
}

RedisTier::Outcome RedisTier::ioError(Connection& connection) {
  connection.closed_by_peer = closedByPeer(*connection.context, errno);
  return Outcome::kFailed;
}

// op(Connection&) -> Outcome, through the breaker and the pool. False (counted in
// errors_) unless op returned kOk.
template <typename Op>
bool RedisTier::run(Op&& op) {
  if (pool_.run(std::forward<Op>(op))) return true;
  errors_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

RedisTier::Lookup RedisTier::get(std::string_view key) {
  const std::string redis_key = redisKey(key);
  Lookup lookup;
  lookup.ok = run([&](Connection& connection) {
    const ReplyPtr reply = runCommand(*connection.context, {"GET", redis_key});
    if (!reply) return ioError(connection);
    if (reply->type == REDIS_REPLY_NIL) return Outcome::kOk;
    if (reply->type != REDIS_REPLY_STRING) return Outcome::kReplyError;
    lookup.value = std::string(replyText(*reply));
    return Outcome::kOk;
  });
  return lookup;
}

bool RedisTier::set(std::string_view key, std::string_view value, std::chrono::seconds ttl) {
  const std::string redis_key = redisKey(key);
  const std::string seconds = std::to_string(std::max<std::int64_t>(1, ttl.count()));
  return run([&](Connection& connection) {
    const ReplyPtr reply =
        runCommand(*connection.context, {"SET", redis_key, value, "EX", seconds});
    if (!reply) return ioError(connection);
    return isErrorReply(*reply) ? Outcome::kReplyError : Outcome::kOk;
  });
}

bool RedisTier::remove(std::string_view key) {
  const std::string redis_key = redisKey(key);
  return run([&](Connection& connection) {
    const ReplyPtr reply = runCommand(*connection.context, {"DEL", redis_key});
    if (!reply) return ioError(connection);
    return isErrorReply(*reply) ? Outcome::kReplyError : Outcome::kOk;
  });
}

bool RedisTier::invalidate(std::span<const std::string> keys, std::string_view message) {
  std::vector<std::string> redis_keys;
  redis_keys.reserve(keys.size());
  for (const std::string& key : keys) redis_keys.push_back(redisKey(key));
  std::vector<std::string_view> del{"DEL"};
  del.insert(del.end(), redis_keys.begin(), redis_keys.end());
  return run([&](Connection& connection) {
    redisContext& context = *connection.context;
    if (!appendCommand(context, del) || !appendCommand(context, {"PUBLISH", channel_, message})) {
      return ioError(connection);
    }
    Outcome outcome = Outcome::kOk;
    for (int i = 0; i < 2; ++i) {
      const ReplyPtr reply = nextReply(context);
      if (!reply) return ioError(connection);
      if (isErrorReply(*reply)) outcome = Outcome::kReplyError;
    }
    return outcome;
  });
}

std::optional<std::uint64_t> RedisTier::bumpGeneration(std::uint64_t floor,
                                                       std::string_view message_prefix) {
  const std::string floor_text = std::to_string(floor);
  std::optional<std::uint64_t> value;
  run([&](Connection& connection) {
    const ReplyPtr reply = runCommand(
        *connection.context,
        {"EVAL", kBumpScript, "1", generation_key_, floor_text, channel_, message_prefix});
    if (!reply) return ioError(connection);
    const auto number = replyInteger(*reply);
    if (!number || *number < 0) return Outcome::kReplyError;
    value = static_cast<std::uint64_t>(*number);
    return Outcome::kOk;
  });
  return value;
}

std::optional<std::uint64_t> RedisTier::readGeneration() {
  std::optional<std::uint64_t> value;
  run([&](Connection& connection) {
    const ReplyPtr reply = runCommand(*connection.context, {"GET", generation_key_});
    if (!reply) return ioError(connection);
    if (reply->type == REDIS_REPLY_NIL) {
      value = 0;
      return Outcome::kOk;
    }
    const auto number = replyInteger(*reply);
    if (!number || *number < 0) return Outcome::kReplyError;
    value = static_cast<std::uint64_t>(*number);
    return Outcome::kOk;
  });
  return value;
}

void RedisTier::markUp() { pool_.markUp(); }

}  // namespace emporium::cache::detail
