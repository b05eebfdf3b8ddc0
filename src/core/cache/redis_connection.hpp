#pragma once
// Internal to emporium_cache: blocking hiredis connections for the L3 tier and
// the invalidation subscriber. Not included by tiered_cache.hpp.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/deps/url.hpp"

struct redisContext;
struct redisReply;

namespace emporium::cache::detail {

struct ContextDeleter {
  void operator()(redisContext* context) const;
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const;
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// A parsed redis://[[user]:password@]host[:port][/db] URL.
struct RedisEndpoint {
  deps::ServerUrl server;
  int database = 0;
};

/// Throws std::invalid_argument when url is malformed or not redis://.
RedisEndpoint parseRedisUrl(const std::string& url);

/// Connects, sets the command timeout on the socket, AUTHs and SELECTs as the
/// URL says. Null on any failure (bounded by the timeouts).
ContextPtr connectRedis(const RedisEndpoint& endpoint, std::chrono::milliseconds connect_timeout,
                        std::chrono::milliseconds command_timeout);

/// Sends one command and waits for its reply. Null after an I/O error or a
/// timeout, which leave the context unusable (context.err is set).
ReplyPtr runCommand(redisContext& context, const std::vector<std::string_view>& args);

/// Queues one command for a later redisGetReply (pipelining). False on error.
bool appendCommand(redisContext& context, const std::vector<std::string_view>& args);

/// The next reply of a pipeline; null as runCommand.
ReplyPtr nextReply(redisContext& context);

/// Whether the last failure on context was the server closing the connection
/// (as opposed to a timeout); errno must still be the one of that failure.
bool closedByPeer(const redisContext& context, int error);

std::string_view replyText(const redisReply& reply);
/// The reply as an integer: an integer reply, or a string of digits; else nullopt.
std::optional<long long> replyInteger(const redisReply& reply);
bool isErrorReply(const redisReply& reply);

}  // namespace emporium::cache::detail
