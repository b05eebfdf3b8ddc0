#include "core/cache/invalidation_subscriber.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace emporium::cache::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Writes what appendCommand queued; blocking, bounded by the socket's timeout.
bool flush(redisContext& context) {
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(&context, &done) != REDIS_OK) return false;
  }
  return true;
}

}  // namespace

InvalidationSubscriber::InvalidationSubscriber(RedisEndpoint endpoint, RedisOptions options,
                                               std::string channel, Callbacks callbacks)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      channel_(std::move(channel)),
      callbacks_(std::move(callbacks)),
      thread_([this](const std::stop_token& stop) { run(stop); }) {}

InvalidationSubscriber::~InvalidationSubscriber() {
  thread_.request_stop();  // also wakes a backoff wait (condition_variable_any + stop_token)
  thread_.join();
}

void InvalidationSubscriber::run(const std::stop_token& stop) {
  std::chrono::milliseconds backoff{0};
  while (!stop.stop_requested()) {
    if (backoff.count() > 0) {
      std::unique_lock lock(wait_mutex_);
      if (wake_.wait_for(lock, stop, backoff, [] { return false; }) || stop.stop_requested()) {
        return;
      }
    }
    const ContextPtr context =
        connectRedis(endpoint_, options_.connect_timeout, options_.command_timeout);
    if (!context || !subscribe(*context)) {
      backoff = backoff.count() == 0 ? options_.initial_backoff
                                     : std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    if (callbacks_.on_subscribed) callbacks_.on_subscribed();
    subscribed_.store(true, std::memory_order_release);
    listen(*context, stop);
    subscribed_.store(false, std::memory_order_release);
    // The first attempt after a drop is immediate: a killed connection (CLIENT KILL, a
    // proxy's restart) usually comes straight back; a dead server refuses it at once.
    backoff = std::chrono::milliseconds(0);
  }
}

bool InvalidationSubscriber::subscribe(redisContext& context) const {
  const ReplyPtr reply = runCommand(context, {"SUBSCRIBE", channel_});
  return reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
         replyText(*reply->element[0]) == "subscribe";
}

// Returns when the connection fails or goes quiet past a PING, or on stop. Polls the
// socket rather than relying on its read timeout: a timed-out hiredis context is unusable.
void InvalidationSubscriber::listen(redisContext& context, const std::stop_token& stop) {
  auto last_heard = Clock::now();
  bool awaiting_pong = false;
  while (!stop.stop_requested()) {
    void* raw = nullptr;
    if (redisReaderGetReply(context.reader, &raw) != REDIS_OK) return;
    if (raw != nullptr) {
      const ReplyPtr reply(static_cast<redisReply*>(raw));
      last_heard = Clock::now();
      awaiting_pong = false;
      deliver(*reply);
      continue;
    }
    if (callbacks_.on_idle) callbacks_.on_idle();
    const auto quiet = Clock::now() - last_heard;
    if (awaiting_pong && quiet >= 2 * kPingInterval) return;
    if (!awaiting_pong && quiet >= kPingInterval) {
      if (!appendCommand(context, {"PING"}) || !flush(context)) return;
      awaiting_pong = true;
    }
    pollfd descriptor{context.fd, POLLIN, 0};
    const int ready = ::poll(&descriptor, 1, static_cast<int>(kPollInterval.count()));
    if (ready < 0 && errno != EINTR) return;
    // Also on POLLHUP/POLLERR: the read then reports the failure.
    if (ready > 0 && redisBufferRead(&context) != REDIS_OK) return;
  }
}

void InvalidationSubscriber::deliver(const redisReply& reply) {
  // ["message", channel, payload]; subscribe confirmations and ["pong", ""] carry nothing.
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3) return;
  if (replyText(*reply.element[0]) != "message") return;
  if (reply.element[2]->type != REDIS_REPLY_STRING) return;
  if (callbacks_.on_message) callbacks_.on_message(replyText(*reply.element[2]));
}

}  // namespace emporium::cache::detail
