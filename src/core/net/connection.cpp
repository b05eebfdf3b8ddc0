// One connection's life: read and parse a request, dispatch it (inline, fast
// path or on a pool), write the answer; repeat while the connection is kept
// alive. The listener side (accept, limits, drain) is in server.cpp.
#include "core/net/server_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "core/net/beast_request.hpp"

namespace emporium::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using detail::Clock;
using detail::Loop;
using detail::Session;
using detail::tcp;

constexpr std::size_t kMaxRequestIdLength = 128;

// Accepts a client's X-Request-Id only if it is short printable ASCII, so
// that it is safe to echo in headers and logs.
bool acceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// Runs fn() on the blocking pool and resumes the awaiting coroutine on its own
// event loop with the result.
template <class Fn>
asio::awaitable<http::Response> runOnPool(asio::thread_pool& pool, Fn fn) {
  auto initiate = [&pool](auto handler, Fn f) {
    auto resume_on = asio::get_associated_executor(handler);
    asio::post(pool, [handler = std::move(handler), f = std::move(f), resume_on]() mutable {
      http::Response response = f();
      asio::post(resume_on,
                 [handler = std::move(handler), response = std::move(response)]() mutable {
                   handler(std::move(response));
                 });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(http::Response)>(
      std::move(initiate), asio::use_awaitable, std::move(fn));
}

// A response for a request that could not even be parsed (no route, no handler).
http::Response transportError(int status, std::string slug, std::string title, std::string detail,
                              std::string_view request_id) {
  return http::problemResponse(
      http::ApiError(status, std::move(slug), std::move(title), std::move(detail)), {}, request_id);
}

// Header values from handlers must not be able to split the response.
void appendHeaderValue(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
}

// Writes the status line and headers by hand: one reused buffer, no
// per-field allocations, sent with the body in a single gathered write.
void serializeHead(std::string& head, const http::Response& response, std::string_view request_id,
                   std::string_view date, bool close, bool http10_keep_alive) {
  head.clear();
  head += "HTTP/1.1 ";
  char status[8];
  const auto [end, ec] = std::to_chars(status, status + sizeof status, response.status);
  head.append(status, end);
  head.push_back(' ');
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  head.append(reason.data(), reason.size());
  head += "\r\nServer: emporium\r\nDate: ";
  head += date;
  head += "\r\nX-Request-Id: ";
  head += request_id;
  const bool has_body =
      !response.body.empty() || (response.status != 204 && response.status != 304);
  if (has_body) {
    head += "\r\nContent-Type: ";
    head += response.content_type;
  }
  if (response.status != 204) {
    head += "\r\nContent-Length: ";
    char length[24];
    const auto [lend, lec] = std::to_chars(length, length + sizeof length, response.body.size());
    head.append(length, lend);
  }
  if (close) {
    head += "\r\nConnection: close";
  } else if (http10_keep_alive) {
    head += "\r\nConnection: keep-alive";
  }
  for (const auto& [name, value] : response.headers) {
    head += "\r\n";
    appendHeaderValue(head, name);
    head += ": ";
    appendHeaderValue(head, value);
  }
  head += "\r\n\r\n";
}

}  // namespace

void HttpServer::Impl::writeAccessLog(const http::Request& req, int status, std::size_t bytes,
                                      double seconds) const {
  if (!options.access_log || !logger.enabled(log::Level::kInfo)) return;
  logger.log(log::Level::kInfo, "request",
             {{"method", http::methodName(req.method)},
              {"path", req.path},
              {"status", status},
              {"bytes", static_cast<std::uint64_t>(bytes)},
              {"duration_ms", seconds * 1000.0},
              {"client", req.client_ip}},
             req.request_id);
}

asio::awaitable<void> HttpServer::Impl::runSession(Loop* loop, tcp::socket socket,
                                                   std::string address_key) {
  const auto accepted_at = Clock::now();
  Session session(std::move(socket));
  loop->sessions.insert(&session);
  metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  struct Unregister {
    Loop* loop;
    Session* session;
    metrics::HttpMetrics& metrics;
    HttpServer::Impl* impl;
    const std::string& address_key;
    ~Unregister() {
      loop->sessions.erase(session);
      metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
      if (!address_key.empty()) impl->releaseAddress(address_key);
    }
  } unregister{loop, &session, metrics, this, address_key};

  std::string client_ip;
  {
    beast::error_code ec;
    const auto endpoint = session.stream.socket().remote_endpoint(ec);
    if (!ec) client_ip = endpoint.address().to_string();
  }

  beast::flat_buffer buffer;
  std::string head;  // response header block, reused across requests
  bool answered_any = false;
  try {
    for (;;) {
      if (draining.load(std::memory_order_relaxed) && buffer.size() == 0) break;

      // Read and parse one request. The parser works on what is buffered
      // (pipelined requests need no read at all); reads happen only when it
      // needs more. The wait for a new request's first byte runs under the
      // idle timeout; from then on the whole request must arrive within
      // read_timeout, so a slow client cannot hold the connection.
      BeastParser parser;
      configureParser(parser, options.max_header_bytes, options.max_body_bytes);
      beast::error_code ec;
      bool peer_gone = false;
      bool continue_sent = false;
      bool first_read = true;
      std::optional<Clock::time_point> request_deadline;
      // Until the header is complete: from accept on a new connection, from
      // the first byte on a kept-alive one.
      std::optional<Clock::time_point> header_deadline;
      if (!answered_any) header_deadline = accepted_at + options.header_timeout;
      if (buffer.size() > 0) {
        request_deadline = Clock::now() + options.read_timeout;
        if (!header_deadline) header_deadline = Clock::now() + options.header_timeout;
      }
      for (;;) {
        if (buffer.size() > 0) {
          const std::size_t used = parser.put(buffer.data(), ec);
          buffer.consume(used);
          if (ec == bhttp::error::need_more) ec = {};
          if (ec || parser.is_done()) break;
          if (used > 0 && buffer.size() > 0) continue;  // header done, body bytes wait in buffer
          if (parser.is_header_done() && !continue_sent &&
              beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
            continue_sent = true;
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            co_await asio::async_write(session.stream, asio::buffer(kContinue),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
              peer_gone = true;
              break;
            }
          }
        }
        const bool waiting_for_new_request = first_read && buffer.size() == 0 && !parser.got_some();
        session.idle = waiting_for_new_request;
        if (waiting_for_new_request) {
          const auto idle_until = Clock::now() + options.idle_timeout;
          session.stream.expires_at(header_deadline ? std::min(*header_deadline, idle_until)
                                                    : idle_until);
        } else {
          // One deadline for the whole request, fixed at its first byte: a
          // client trickling a byte at a time cannot stretch it.
          if (!request_deadline) request_deadline = Clock::now() + options.read_timeout;
          if (!header_deadline) header_deadline = Clock::now() + options.header_timeout;
          session.stream.expires_at(parser.is_header_done()
                                        ? *request_deadline
                                        : std::min(*request_deadline, *header_deadline));
        }
        const std::size_t n = co_await session.stream.async_read_some(
            buffer.prepare(16384), asio::redirect_error(asio::use_awaitable, ec));
        session.idle = false;
        if (first_read && !ec) request_deadline = Clock::now() + options.read_timeout;
        first_read = false;
        if (ec) {
          // Closed, timed out (tcp_stream closes the socket), or cancelled by
          // stop(): nobody left to answer.
          peer_gone = true;
          break;
        }
        buffer.commit(n);
      }
      if (peer_gone) break;

      const auto started_at = Clock::now();
      std::string generated_id;
      std::string_view request_id;
      if (parser.is_header_done()) {
        const auto incoming = parser.get()["X-Request-Id"];
        if (acceptableRequestId({incoming.data(), incoming.size()})) {
          request_id = {incoming.data(), incoming.size()};
        }
      }
      if (request_id.empty()) {
        generated_id = loop->ids.next();
        request_id = generated_id;
      }

      http::Response response;
      bool close_after = false;
      std::size_t slot = metrics.unmatchedSlot();
      http::Request req;
      req.request_id = request_id;
      req.client_ip = client_ip;
      req.logger = &logger;

      if (ec) {
        close_after = true;
        if (ec == bhttp::error::body_limit) {
          response = transportError(413, "payload-too-large", "Payload Too Large",
                                    "the request body exceeds the limit of " +
                                        std::to_string(options.max_body_bytes) + " bytes",
                                    request_id);
        } else if (ec == bhttp::error::header_limit) {
          response = transportError(431, "headers-too-large", "Request Header Fields Too Large",
                                    "the request headers exceed the limit of " +
                                        std::to_string(options.max_header_bytes) + " bytes",
                                    request_id);
        } else {
          response = transportError(400, "bad-request", "Bad Request",
                                    "malformed HTTP request: " + ec.message(), request_id);
        }
      } else {
        const auto& msg = parser.get();
        fillRequest(msg, options.trust_forwarded_for, req);
        req.setDeadline(started_at, options.read_timeout, options.trust_budget_header);
        close_after = !msg.keep_alive();
        metrics.in_flight.fetch_add(1, std::memory_order_relaxed);
        auto match = router.match(req.method, req.path);
        if (match.route == nullptr) {
          response = http::unmatchedResponse(match, req);
        } else {
          const http::Route& route = *match.route;
          slot = route.index;
          req.path_params = std::move(match.params);
          if (route.options.execution == http::Execution::kInline) {
            response = http::invokeRoute(route, req, dispatch);
          } else if (auto fast = http::tryFastPath(route, req, dispatch)) {
            response = std::move(*fast);
          } else {
            auto& on =
                route.options.execution == http::Execution::kBlockingAside ? *aside_pool : *pool;
            response = co_await runOnPool(
                on, [&route, &req, this] { return http::invokeRoute(route, req, dispatch); });
          }
        }
        metrics.in_flight.fetch_sub(1, std::memory_order_relaxed);
      }
      if (draining.load(std::memory_order_relaxed)) close_after = true;

      const std::size_t body_bytes = response.body.size();
      const bool send_body = req.method != http::Method::kHead;
      serializeHead(head, response, request_id, loop->date.now(), close_after,
                    parser.is_header_done() && parser.get().version() == 10 && !close_after);
      const std::array<asio::const_buffer, 2> out{
          asio::buffer(head), send_body ? asio::buffer(response.body) : asio::const_buffer{}};
      // Recorded before the write: a client that has its response can rely
      // on /metrics counting it.
      const double seconds = std::chrono::duration<double>(Clock::now() - started_at).count();
      metrics.record(slot, response.status, seconds);
      session.stream.expires_after(options.read_timeout);
      co_await asio::async_write(session.stream, out,
                                 asio::redirect_error(asio::use_awaitable, ec));
      writeAccessLog(req, response.status, body_bytes, seconds);
      answered_any = true;
      if (ec || close_after) break;
    }
  } catch (const std::exception& e) {
    logger.error("connection failed", {{"error", e.what()}, {"client", client_ip}});
  }
  beast::error_code ignored;
  session.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  session.stream.socket().close(ignored);
}

}  // namespace emporium::net
