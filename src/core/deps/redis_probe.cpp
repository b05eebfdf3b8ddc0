#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>

#include "core/deps/probes.hpp"
#include "core/deps/url.hpp"

namespace emporium::deps {

void probeRedis(const std::string& url, std::chrono::milliseconds timeout) {
  const auto parsed = parseServerUrl(url, 6379);
  const auto secs = timeout.count() / 1000;
  const timeval tv{static_cast<time_t>(secs),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  const std::unique_ptr<redisContext, decltype(&redisFree)> ctx(
      redisConnectWithTimeout(parsed.host.c_str(), parsed.port, tv), &redisFree);
  if (!ctx) throw std::runtime_error("cannot allocate a redis context");
  if (ctx->err != 0) throw std::runtime_error(std::string("connect failed: ") + ctx->errstr);
  redisSetTimeout(ctx.get(), tv);
  const auto command = [&](auto... args) {
    std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(
        static_cast<redisReply*>(redisCommand(ctx.get(), args...)), &freeReplyObject);
    if (!reply) throw std::runtime_error(std::string("no reply: ") + ctx->errstr);
    if (reply->type == REDIS_REPLY_ERROR)
      throw std::runtime_error(std::string(reply->str, reply->len));
    return std::string(reply->str != nullptr ? reply->str : "", reply->len);
  };
  if (!parsed.password.empty()) {
    if (parsed.user.empty()) {
      command("AUTH %s", parsed.password.c_str());
    } else {
      command("AUTH %s %s", parsed.user.c_str(), parsed.password.c_str());
    }
  }
  if (const auto pong = command("PING"); pong != "PONG") {
    throw std::runtime_error("unexpected PING reply: " + pong);
  }
}

}  // namespace emporium::deps
