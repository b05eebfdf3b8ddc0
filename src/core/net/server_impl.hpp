#pragma once
// The server's insides, shared by server.cpp (listener, accept, drain) and
// connection.cpp (one connection's read/dispatch/write loop). Pulls in Asio
// and Beast: include it from those two files only, never from a header.

// Boost's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/net/server.hpp"

namespace emporium::net {
namespace detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One per event loop: ids are "<random per loop>-<counter>", unique without locks.
class RequestIdGenerator {
 public:
  RequestIdGenerator() {
    std::random_device rd;
    prefix_ = (static_cast<std::uint64_t>(rd()) << 32) | rd();
  }
  std::string next() {
    char buf[40];
    const int n =
        std::snprintf(buf, sizeof buf, "%016llx-%08llx", static_cast<unsigned long long>(prefix_),
                      static_cast<unsigned long long>(++counter_));
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::uint64_t prefix_ = 0;
  std::uint64_t counter_ = 0;
};

// RFC 9110 IMF-fixdate, recomputed at most once a second per loop.
class DateCache {
 public:
  std::string_view now() {
    const std::time_t t = std::time(nullptr);
    if (t != last_) {
      last_ = t;
      std::tm tm{};
      gmtime_r(&t, &tm);
      len_ = std::strftime(buf_, sizeof buf_, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    }
    return {buf_, len_};
  }

 private:
  std::time_t last_ = 0;
  char buf_[40] = {};
  std::size_t len_ = 0;
};

struct Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool idle = true;  // waiting for the first byte of the next request
};

// Member order matters: io is destroyed before sessions, because destroying
// io destroys suspended session coroutines, which unregister themselves.
struct Loop {
  std::unordered_set<Session*> sessions;  // only touched on this loop's thread
  RequestIdGenerator ids;
  DateCache date;
  asio::io_context io{1};
  std::thread thread;
};

}  // namespace detail

struct HttpServer::Impl {
  Impl(ServerOptions opts, const http::Router& r, const log::Logger& l, metrics::HttpMetrics& m,
       http::DispatchContext d)
      : options(std::move(opts)),
        router(r),
        logger(l),
        metrics(m),
        dispatch(std::move(d)),
        pool(std::in_place, options.blocking_threads),
        aside_pool(std::in_place, kAsideThreads) {}

  // Few: the routes that run there (a mounted test provider) are light.
  static constexpr std::size_t kAsideThreads = 4;

  ServerOptions options;
  const http::Router& router;
  const log::Logger& logger;
  metrics::HttpMetrics& metrics;
  http::DispatchContext dispatch;
  // Optional so that stop() can destroy it while the loops still exist:
  // handlers still queued in it hold coroutine frames bound to the loops.
  std::optional<detail::asio::thread_pool> pool;
  std::optional<detail::asio::thread_pool> aside_pool;  // Execution::kBlockingAside
  std::vector<std::unique_ptr<detail::Loop>> loops;
  std::unique_ptr<detail::tcp::acceptor> acceptor;  // lives on loops[0]
  std::atomic<std::size_t> next_loop{0};
  std::atomic<bool> draining{false};
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  std::uint16_t port = 0;
  // Open connections per client address (sessions end on every loop).
  std::mutex per_address_mutex;
  std::unordered_map<std::string, std::size_t> per_address;

  std::size_t perAddressLimit() const {
    if (options.trust_forwarded_for) return 0;
    if (options.max_connections_per_address > 0) return options.max_connections_per_address;
    return std::max<std::size_t>(1, options.max_connections / 4);
  }
  /// Counts a connection from address; false (nothing counted) when it already has its share.
  bool admitAddress(const std::string& address);
  void releaseAddress(const std::string& address);

  /// Accepts connections and hands each to a loop (server.cpp).
  detail::asio::awaitable<void> acceptLoop();
  /// Serves one connection until it closes (connection.cpp).
  detail::asio::awaitable<void> runSession(detail::Loop* loop, detail::tcp::socket socket,
                                           std::string address_key);
  void writeAccessLog(const http::Request& req, int status, std::size_t bytes,
                      double seconds) const;
};

}  // namespace emporium::net
