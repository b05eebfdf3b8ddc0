#include "core/cache/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace emporium::cache::detail {
namespace {

constexpr int kDefaultPort = 6379;

timeval toTimeval(std::chrono::milliseconds timeout) {
  const auto ms = std::max<std::int64_t>(1, timeout.count());
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

bool isOk(const ReplyPtr& reply) {
  return reply && reply->type == REDIS_REPLY_STATUS && replyText(*reply) == "OK";
}

struct Argv {
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  explicit Argv(const std::vector<std::string_view>& args) {
    pointers.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string_view arg : args) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
};

}  // namespace

void ContextDeleter::operator()(redisContext* context) const { redisFree(context); }
void ReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

RedisEndpoint parseRedisUrl(const std::string& url) {
  RedisEndpoint endpoint{deps::parseServerUrl(url, kDefaultPort), 0};
  const std::string& path = endpoint.server.path;
  if (endpoint.server.scheme != "redis") {
    throw std::invalid_argument("redis URL must start with redis:// (not " +
                                endpoint.server.scheme + ")");
  }
  if (!path.empty()) {
    const char* end = path.data() + path.size();
    const auto parsed = std::from_chars(path.data(), end, endpoint.database);
    if (parsed.ec != std::errc{} || parsed.ptr != end || endpoint.database < 0) {
      throw std::invalid_argument("redis URL path must be a database number, not '" + path + "'");
    }
  }
  return endpoint;
}

ContextPtr connectRedis(const RedisEndpoint& endpoint, std::chrono::milliseconds connect_timeout,
                        std::chrono::milliseconds command_timeout) {
  const deps::ServerUrl& server = endpoint.server;
  ContextPtr context(
      redisConnectWithTimeout(server.host.c_str(), server.port, toTimeval(connect_timeout)));
  if (!context || context->err != 0) return nullptr;
  if (redisSetTimeout(context.get(), toTimeval(command_timeout)) != REDIS_OK) return nullptr;
  // Lets the kernel notice a peer that vanished while the connection sat idle.
  redisEnableKeepAlive(context.get());
  if (!server.password.empty()) {
    const ReplyPtr reply = server.user.empty()
                               ? runCommand(*context, {"AUTH", server.password})
                               : runCommand(*context, {"AUTH", server.user, server.password});
    if (!isOk(reply)) return nullptr;
  }
  if (endpoint.database != 0) {
    const std::string database = std::to_string(endpoint.database);
    if (!isOk(runCommand(*context, {"SELECT", database}))) return nullptr;
  }
  return context;
}

ReplyPtr runCommand(redisContext& context, const std::vector<std::string_view>& args) {
  Argv argv(args);
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(
      &context, static_cast<int>(args.size()), argv.pointers.data(), argv.lengths.data())));
}

bool appendCommand(redisContext& context, const std::vector<std::string_view>& args) {
  Argv argv(args);
  return redisAppendCommandArgv(&context, static_cast<int>(args.size()), argv.pointers.data(),
                                argv.lengths.data()) == REDIS_OK;
}

ReplyPtr nextReply(redisContext& context) {
  void* reply = nullptr;
  if (redisGetReply(&context, &reply) != REDIS_OK) return nullptr;
  return ReplyPtr(static_cast<redisReply*>(reply));
}

bool closedByPeer(const redisContext& context, int error) {
  return context.err == REDIS_ERR_EOF ||
         (context.err == REDIS_ERR_IO && (error == ECONNRESET || error == EPIPE));
}

std::string_view replyText(const redisReply& reply) {
  return reply.str == nullptr ? std::string_view() : std::string_view(reply.str, reply.len);
}

std::optional<long long> replyInteger(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_INTEGER) return reply.integer;
  if (reply.type != REDIS_REPLY_STRING) return std::nullopt;
  const std::string_view text = replyText(reply);
  long long value = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

bool isErrorReply(const redisReply& reply) { return reply.type == REDIS_REPLY_ERROR; }

}  // namespace emporium::cache::detail
