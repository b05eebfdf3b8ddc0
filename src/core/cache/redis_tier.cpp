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

// One connection borrowed from the pool, given back (or closed, if it broke or
// predates a failure) when the lease ends.
class RedisTier::Lease {
 public:
  enum class Status : std::uint8_t { kReady, kBusy, kFailed };

  explicit Lease(RedisTier& owner) : owner_(owner) {}
  ~Lease() {
    if (!holds_slot_) return;
    std::unique_ptr<Connection> closing;
    {
      const std::lock_guard lock(owner_.pool_mutex_);
      if (connection_ && connection_->context->err == 0 &&
          connection_->generation == owner_.pool_generation_) {
        owner_.idle_.push_back(std::move(connection_));
      } else {
        --owner_.open_;
        closing = std::move(connection_);
      }
    }
    owner_.pool_ready_.notify_one();
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  /// Waits up to the command timeout for an idle connection or a free slot to open one in.
  Status acquire() {
    std::uint64_t generation = 0;
    {
      std::unique_lock lock(owner_.pool_mutex_);
      const bool ready = owner_.pool_ready_.wait_for(lock, owner_.options_.command_timeout, [&] {
        return !owner_.idle_.empty() || owner_.open_ < owner_.options_.pool_size;
      });
      if (!ready) return Status::kBusy;
      holds_slot_ = true;
      if (!owner_.idle_.empty()) {
        connection_ = std::move(owner_.idle_.back());
        owner_.idle_.pop_back();
        reused_ = true;
        return Status::kReady;
      }
      ++owner_.open_;
      generation = owner_.pool_generation_;
    }
    return reconnectAt(generation) ? Status::kReady : Status::kFailed;
  }

  /// Replaces the connection with a new one, in the same slot of the pool.
  bool reconnect() {
    std::uint64_t generation = 0;
    {
      const std::lock_guard lock(owner_.pool_mutex_);
      generation = owner_.pool_generation_;
    }
    return reconnectAt(generation);
  }

  Connection& connection() { return *connection_; }
  /// Whether the connection sat in the pool before this lease (and may have gone stale).
  bool reused() const { return reused_; }
  void discard() { connection_.reset(); }

 private:
  bool reconnectAt(std::uint64_t generation) {
    reused_ = false;
    // Connecting takes a round trip or several: never under the pool lock.
    connection_ = owner_.connect();
    if (!connection_) return false;
    connection_->generation = generation;
    return true;
  }

  RedisTier& owner_;
  std::unique_ptr<Connection> connection_;
  bool holds_slot_ = false;  // counted in owner_.open_
  bool reused_ = false;
};

RedisTier::RedisTier(const std::string& url, const RedisOptions& options)
    : endpoint_(parseRedisUrl(url)),
      options_(options),
      channel_(options.prefix + "invalidate"),
      generation_key_(options.prefix + "generation") {
  options_.pool_size = std::max<std::size_t>(1, options_.pool_size);
  // One attempt now, so that up() is true to fact from the start and a dead server
  // is skipped from the first request on.
  Lease lease(*this);
  if (lease.acquire() == Lease::Status::kReady) {
    onSuccess(Admission::kProbe);
  } else {
    onFailure(Admission::kProbe);
  }
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
  return Outcome::kIoError;
}

// op(Connection&) -> Outcome, through the breaker and the pool. False (counted in
// errors_) unless op returned kOk.
template <typename Op>
bool RedisTier::run(Op&& op) {
  const Admission admission = admit();
  if (admission == Admission::kSkip) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  Lease lease(*this);
  switch (lease.acquire()) {
    case Lease::Status::kReady:
      break;
    case Lease::Status::kBusy:
      onBusy(admission);
      errors_.fetch_add(1, std::memory_order_relaxed);
      return false;
    case Lease::Status::kFailed:
      onFailure(admission);
      errors_.fetch_add(1, std::memory_order_relaxed);
      return false;
  }
  Outcome outcome = op(lease.connection());
  if (outcome == Outcome::kIoError && lease.reused() && lease.connection().closed_by_peer) {
    // A pooled connection that the server (since restarted) or a proxy's idle timeout
    // closed says nothing about Redis now: one fresh connection before blaming it. Not
    // after a timeout, which a retry would only double.
    if (lease.reconnect()) outcome = op(lease.connection());
  }
  switch (outcome) {
    case Outcome::kOk:
      onSuccess(admission);
      return true;
    case Outcome::kReplyError:
      // Redis answered, so it is up; the operation still did not happen.
      onSuccess(admission);
      break;
    case Outcome::kIoError:
      lease.discard();
      onFailure(admission);
      break;
  }
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

void RedisTier::markUp() {
  const std::lock_guard lock(breaker_mutex_);
  backoff_ = std::chrono::milliseconds(0);
  retry_at_ = {};
  healthy_.store(true, std::memory_order_release);
}

RedisTier::Admission RedisTier::admit() {
  if (healthy_.load(std::memory_order_acquire)) return Admission::kClosed;
  const std::lock_guard lock(breaker_mutex_);
  if (healthy_.load(std::memory_order_acquire)) return Admission::kClosed;
  if (probing_ || std::chrono::steady_clock::now() < retry_at_) return Admission::kSkip;
  probing_ = true;
  return Admission::kProbe;
}

void RedisTier::onSuccess(Admission admission) {
  if (admission != Admission::kProbe) return;
  const std::lock_guard lock(breaker_mutex_);
  probing_ = false;
  backoff_ = std::chrono::milliseconds(0);
  healthy_.store(true, std::memory_order_release);
}

void RedisTier::onFailure(Admission admission) {
  {
    const std::lock_guard lock(breaker_mutex_);
    if (admission == Admission::kProbe) {
      probing_ = false;
      backoff_ = backoff_.count() == 0 ? options_.initial_backoff
                                       : std::min(backoff_ * 2, options_.max_backoff);
    } else if (healthy_.load(std::memory_order_acquire)) {
      backoff_ = options_.initial_backoff;
    } else {
      return;  // a concurrent caller has already opened the breaker
    }
    healthy_.store(false, std::memory_order_release);
    retry_at_ = std::chrono::steady_clock::now() + backoff_;
  }
  dropIdleConnections();
}

void RedisTier::onBusy(Admission admission) {
  if (admission != Admission::kProbe) return;
  // Not Redis's fault: let the next caller probe without waiting out another backoff.
  const std::lock_guard lock(breaker_mutex_);
  probing_ = false;
}

void RedisTier::dropIdleConnections() {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    const std::lock_guard lock(pool_mutex_);
    ++pool_generation_;
    open_ -= idle_.size();
    closing.swap(idle_);
  }
  pool_ready_.notify_all();
}

}  // namespace emporium::cache::detail
