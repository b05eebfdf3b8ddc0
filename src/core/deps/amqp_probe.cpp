#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <memory>
#include <stdexcept>

#include "core/deps/probes.hpp"
#include "core/deps/url.hpp"

namespace emporium::deps {
namespace {

std::string replyError(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return {};
    case AMQP_RESPONSE_NONE:
      return "missing RPC reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      return "server refused (check user, password and vhost)";
  }
  return "unknown error";
}

}  // namespace

void probeAmqp(const std::string& url, std::chrono::milliseconds timeout) {
  const auto parsed = parseServerUrl(url, 5672);
  const std::unique_ptr<amqp_connection_state_t_, void (*)(amqp_connection_state_t)> conn(
      amqp_new_connection(), [](amqp_connection_state_t c) { amqp_destroy_connection(c); });
  amqp_socket_t* socket = amqp_tcp_socket_new(conn.get());
  if (socket == nullptr) throw std::runtime_error("cannot create an AMQP socket");
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  if (const int rc = amqp_socket_open_noblock(socket, parsed.host.c_str(), parsed.port, &tv);
      rc != AMQP_STATUS_OK) {
    throw std::runtime_error(std::string("connect failed: ") + amqp_error_string2(rc));
  }
  amqp_set_handshake_timeout(conn.get(), &tv);
  amqp_set_rpc_timeout(conn.get(), &tv);
  const std::string vhost = parsed.path.empty() ? "/" : parsed.path;
  const std::string user = parsed.user.empty() ? "guest" : parsed.user;
  const std::string password = parsed.user.empty() ? "guest" : parsed.password;
  const auto login = amqp_login(conn.get(), vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                                user.c_str(), password.c_str());
  if (const auto err = replyError(login); !err.empty()) throw std::runtime_error("login: " + err);
  amqp_channel_open(conn.get(), 1);
  if (const auto err = replyError(amqp_get_rpc_reply(conn.get())); !err.empty()) {
    throw std::runtime_error("channel: " + err);
  }
  amqp_channel_close(conn.get(), 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn.get(), AMQP_REPLY_SUCCESS);
}

}  // namespace emporium::deps
