// The listener side of the HTTP server: event loops, accepting (with the
// connection caps), and the graceful stop. One connection's request loop is
// in connection.cpp.
#include "core/net/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "core/net/server_impl.hpp"

namespace emporium::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using detail::Clock;
using detail::Loop;
using detail::Session;
using detail::tcp;

}  // namespace

bool HttpServer::Impl::admitAddress(const std::string& address) {
  const std::lock_guard lock(per_address_mutex);
  auto& open = per_address[address];
  if (open >= perAddressLimit()) {
    if (open == 0) per_address.erase(address);
    return false;
  }
  ++open;
  return true;
}

void HttpServer::Impl::releaseAddress(const std::string& address) {
  const std::lock_guard lock(per_address_mutex);
  const auto it = per_address.find(address);
  if (it == per_address.end()) return;
  if (--it->second == 0) per_address.erase(it);
}

asio::awaitable<void> HttpServer::Impl::acceptLoop() {
  asio::steady_timer backoff(loops[0]->io);
  for (;;) {
    Loop& target = *loops[next_loop.fetch_add(1, std::memory_order_relaxed) % loops.size()];
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor->async_accept(target.io, asio::redirect_error(asio::use_awaitable, ec));
    if (!acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Usually EMFILE: back off briefly instead of spinning on the error.
      logger.warn("accept failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    metrics.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    if (static_cast<std::size_t>(metrics.connections_open.load(std::memory_order_relaxed)) >=
        options.max_connections) {
      metrics.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      socket.close(ec);
      continue;
    }
    // One address's share of the cap: idle sockets from one client must not
    // shut everyone else out.
    std::string address_key;
    if (perAddressLimit() > 0) {
      const auto peer = socket.remote_endpoint(ec);
      if (!ec) address_key = peer.address().to_string();
      if (!address_key.empty() && !admitAddress(address_key)) {
        metrics.connections_rejected.fetch_add(1, std::memory_order_relaxed);
        socket.close(ec);
        continue;
      }
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(target.io, runSession(&target, std::move(socket), std::move(address_key)),
                   asio::detached);
  }
}

HttpServer::HttpServer(ServerOptions options, const http::Router& router, const log::Logger& logger,
                       metrics::HttpMetrics& metrics, http::DispatchContext dispatch) {
  const std::size_t cores = std::max<std::size_t>(1, std::thread::hardware_concurrency());
  if (options.threads == 0) options.threads = cores;
  if (options.blocking_threads == 0) options.blocking_threads = 4 * cores;
  impl_ = std::make_unique<Impl>(std::move(options), router, logger, metrics, std::move(dispatch));
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  if (impl_->started.exchange(true)) return;
  auto& impl = *impl_;
  for (std::size_t i = 0; i < impl.options.threads; ++i)
    impl.loops.push_back(std::make_unique<Loop>());

  beast::error_code ec;
  const auto address = asio::ip::make_address(impl.options.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + impl.options.host + "'");
  const tcp::endpoint endpoint(address, impl.options.port);
  impl.acceptor = std::make_unique<tcp::acceptor>(impl.loops[0]->io);
  impl.acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl.acceptor->bind(endpoint, ec);
  if (!ec) impl.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + impl.options.host + ":" +
                             std::to_string(impl.options.port) + ": " + ec.message());
  }
  impl.port = impl.acceptor->local_endpoint().port();

  asio::co_spawn(impl.loops[0]->io, impl.acceptLoop(), asio::detached);
  for (auto& loop : impl.loops) {
    Loop* l = loop.get();
    l->thread = std::thread([l] {
      // Keeps run() going while the loop has no connection yet.
      auto guard = asio::make_work_guard(l->io);
      l->io.run();
    });
  }
}

std::uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  auto& impl = *impl_;
  if (!impl.started.load() || impl.stopped.exchange(true)) return;
  impl.draining.store(true);

  // Stop accepting and close keep-alive connections that wait for a request;
  // connections with a request in progress finish it and then close.
  asio::post(impl.loops[0]->io, [&impl] {
    beast::error_code ec;
    impl.acceptor->close(ec);
  });
  for (auto& loop : impl.loops) {
    Loop* l = loop.get();
    asio::post(l->io, [l] {
      for (Session* s : l->sessions) {
        if (s->idle) {
          beast::error_code ignored;  // the socket may already be closed
          s->stream.socket().cancel(ignored);
        }
      }
    });
  }

  const auto deadline = Clock::now() + impl.options.shutdown_grace;
  while (impl.metrics.connections_open.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // Sessions that turned idle after the first sweep are closed by their own
    // loop check of `draining`; a cancel sweep catches those already waiting.
    for (auto& loop : impl.loops) {
      Loop* l = loop.get();
      asio::post(l->io, [l] {
        for (Session* s : l->sessions) {
          if (s->idle) {
            beast::error_code ignored;  // the socket may already be closed
            s->stream.socket().cancel(ignored);
          }
        }
      });
    }
  }
  if (impl.metrics.connections_open.load() > 0) {
    impl.logger.warn("shutdown grace period over; closing connections still busy",
                     {{"connections", impl.metrics.connections_open.load()}});
  }
  for (auto& loop : impl.loops) loop->io.stop();
  for (auto& loop : impl.loops) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  impl.pool->stop();
  impl.pool->join();
  impl.pool.reset();
  impl.aside_pool->stop();
  impl.aside_pool->join();
  impl.aside_pool.reset();
  // Coroutine frames still suspended in a loop are destroyed with it.
  impl.acceptor.reset();
  impl.loops.clear();
}

}  // namespace emporium::net
