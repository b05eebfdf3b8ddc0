#include "core/net/server.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "core/metrics/exposition.hpp"
#include "support/http_client.hpp"

namespace emporium::net {
namespace {

using namespace std::chrono_literals;
using test::HttpConnection;

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.access_log = false;
    router_.add(http::Method::kGet, "/fast",
                [](http::Request&) { return http::Response::json(200, R"({"ok":true})"); },
                {http::Execution::kInline});
    router_.add(http::Method::kGet, "/slow", [this](http::Request&) {
      ++slow_started_;
      std::this_thread::sleep_for(400ms);
      return http::Response::json(200, R"({"slow":true})");
    });
    router_.add(http::Method::kPost, "/echo", [](http::Request& req) {
      return http::Response{200, http::kTextPlain, std::string(req.body), {}};
    });
    router_.add(http::Method::kGet, "/items/{id}", [](http::Request& req) {
      return http::Response::json(200, "\"" + std::string(req.pathParam("id")) + "\"");
    });
    router_.add(http::Method::kGet, "/boom",
                [](http::Request&) -> http::Response { throw std::runtime_error("kaboom"); });
    metrics_ = std::make_unique<metrics::HttpMetrics>(router_);
    server_ = std::make_unique<HttpServer>(options, router_, logger_, *metrics_);
    server_->start();
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  log::Logger logger_{log::Level::kError};
  http::Router router_;
  std::unique_ptr<metrics::HttpMetrics> metrics_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::atomic<int> slow_started_{0};
};

// Polls cond every 20 ms for up to 3 s.
bool eventuallyTrue(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

rapidjson::Document json(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  HttpConnection conn("127.0.0.1", port_);
  for (int i = 0; i < 50; ++i) {
    const auto r = conn.request("GET", "/fast");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"ok":true})");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_FALSE(r.header("date").empty());
  }
}

TEST_F(ServerTest, RequestIdIsEchoedOrGenerated) {
  start();
  EXPECT_EQ(test::httpRequest(port_, "GET", "/fast", "", {{"X-Request-Id", "abc-123"}})
                .header("x-request-id"),
            "abc-123");
  const auto generated = test::httpRequest(port_, "GET", "/fast").header("x-request-id");
  EXPECT_GE(generated.size(), 16U);
  // Unsafe ids (spaces, too long) are replaced, never echoed.
  const auto replaced =
      test::httpRequest(port_, "GET", "/fast", "", {{"X-Request-Id", std::string(300, 'x')}})
          .header("x-request-id");
  EXPECT_NE(replaced, std::string(300, 'x'));
}

TEST_F(ServerTest, UnknownRouteAndWrongMethodAreProblemJson) {
  start();
  const auto missing = test::httpRequest(port_, "GET", "/nope", "", {{"X-Request-Id", "r1"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("content-type"), "application/problem+json");
  const auto d = json(missing.body);
  EXPECT_EQ(d["status"].GetInt(), 404);
  EXPECT_STREQ(d["request_id"].GetString(), "r1");

  const auto wrong = test::httpRequest(port_, "DELETE", "/fast");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET, HEAD");
  EXPECT_EQ(wrong.header("content-type"), "application/problem+json");
}

TEST_F(ServerTest, HeadSendsHeadersOnly) {
  start();
  HttpConnection conn("127.0.0.1", port_);
  const auto r = conn.request("HEAD", "/fast");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-length"), "11");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(conn.request("GET", "/fast").status, 200);  // the stream is still in sync
}

TEST_F(ServerTest, PathParametersAreDecoded) {
  start();
  EXPECT_EQ(test::httpRequest(port_, "GET", "/items/a%2Fb").body, "\"a/b\"");
}

TEST_F(ServerTest, MalformedRequestGets400ProblemAndClose) {
  start();
  HttpConnection conn("127.0.0.1", port_);
  conn.sendRaw("GET /fast HTTP/9.Z\r\nHost: x\r\n\r\n");
  const auto r = conn.readReply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  EXPECT_TRUE(conn.closedByPeer(2s));
}

TEST_F(ServerTest, OversizedBodyIs413AndOversizedHeaderIs431) {
  ServerOptions o;
  o.max_body_bytes = 2048;
  o.max_header_bytes = 1024;
  start(o);
  const auto big = test::httpRequest(port_, "POST", "/echo", std::string(4096, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.header("content-type"), "application/problem+json");
  EXPECT_EQ(test::httpRequest(port_, "POST", "/echo", std::string(2048, 'y')).status, 200);

  const auto headers =
      test::httpRequest(port_, "GET", "/fast", "", {{"X-Filler", std::string(2000, 'h')}});
  EXPECT_EQ(headers.status, 431);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  ServerOptions o;
  o.max_body_bytes = 1024;
  start(o);
  HttpConnection conn("127.0.0.1", port_);
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'c') + "\r\n";
  req += "0\r\n\r\n";
  conn.sendRaw(req);
  const auto r = conn.readReply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, ExpectContinueIsAnswered) {
  start();
  HttpConnection conn("127.0.0.1", port_);
  conn.sendRaw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  const auto interim = conn.readReply(2s);
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  conn.sendRaw("hello");
  const auto final_reply = conn.readReply(2s);
  ASSERT_TRUE(final_reply.has_value());
  EXPECT_EQ(final_reply->status, 200);
  EXPECT_EQ(final_reply->body, "hello");
}

TEST_F(ServerTest, SlowClientIsCutOffAfterReadTimeout) {
  ServerOptions o;
  o.read_timeout = 300ms;
  start(o);
  HttpConnection conn("127.0.0.1", port_);
  conn.sendRaw("GET /fast HTTP/1.1\r\nHo");  // ...and never finishes
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(conn.closedByPeer(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
}

TEST_F(ServerTest, TricklingClientCannotStretchTheReadTimeout) {
  ServerOptions o;
  o.read_timeout = 400ms;
  start(o);
  HttpConnection conn("127.0.0.1", port_);
  const std::string request = "GET /fast HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(200, 'f');
  const auto started = std::chrono::steady_clock::now();
  bool cut = false;
  // One byte every 50 ms would take 10 s; the deadline is fixed at the first byte.
  for (const char c : request) {
    try {
      conn.sendRaw(std::string(1, c));
    } catch (const std::runtime_error&) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - started > 3s) break;
  }
  EXPECT_TRUE(cut || conn.closedByPeer(1s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout = 200ms;
  start(o);
  HttpConnection conn("127.0.0.1", port_);
  EXPECT_EQ(conn.request("GET", "/fast").status, 200);
  EXPECT_TRUE(conn.closedByPeer(3s));
}

TEST_F(ServerTest, ConnectionCapClosesExtraConnections) {
  ServerOptions o;
  o.max_connections = 2;
  o.max_connections_per_address = 2;  // the global cap, from one address
  start(o);
  HttpConnection a("127.0.0.1", port_);
  HttpConnection b("127.0.0.1", port_);
  EXPECT_EQ(a.request("GET", "/fast").status, 200);
  EXPECT_EQ(b.request("GET", "/fast").status, 200);
  HttpConnection c("127.0.0.1", port_);
  EXPECT_TRUE(c.closedByPeer(2s));
  EXPECT_GE(metrics_->connections_rejected.load(), 1U);
}

// A raw connection from a chosen loopback source address (127.0.0.0/8 is all
// loopback on Linux), which never sends anything unless told to.
class RawClient {
 public:
  RawClient(const char* source, std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    connected_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
                 ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return connected_; }
  /// True when the server closed the connection within timeout.
  bool closedWithin(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char byte = 0;
    return ::recv(fd_, &byte, 1, MSG_DONTWAIT) <= 0;
  }
  /// Sends a GET /fast and reads the status code (0 when none came).
  int get() const {
    static constexpr std::string_view kRequest = "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n";
    if (::send(fd_, kRequest.data(), kRequest.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(kRequest.size())) {
      return 0;
    }
    pollfd p{fd_, POLLIN, 0};
    std::array<char, 512> reply{};
    if (::poll(&p, 1, 3000) != 1 || ::recv(fd_, reply.data(), reply.size() - 1, 0) < 12) return 0;
    return std::atoi(reply.data() + 9);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Issue 14: at max_connections=20, 20 idle sockets from one address shut
// everyone else out. Each address gets a share; the others still get in.
TEST_F(ServerTest, OneAddressCannotTakeEveryConnection) {
  ServerOptions o;
  o.max_connections = 20;  // a quarter (5) per address by default
  o.header_timeout = 30s;  // the admitted ones stay open meanwhile
  start(o);
  std::vector<std::unique_ptr<RawClient>> hog;
  for (int i = 0; i < 20; ++i) {
    hog.push_back(std::make_unique<RawClient>("127.0.0.1", port_));
    ASSERT_TRUE(hog.back()->connected());
  }
  // The server closes all but five of them at once.
  int closed = 0;
  for (const auto& c : hog) closed += c->closedWithin(300ms) ? 1 : 0;
  EXPECT_EQ(closed, 15);
  // Another address is served.
  const RawClient other("127.0.0.2", port_);
  ASSERT_TRUE(other.connected());
  EXPECT_EQ(other.get(), 200);
  // And the hog gets a slot back once one of its connections ends.
  hog.clear();
  EXPECT_TRUE(eventuallyTrue([this] { return RawClient("127.0.0.1", port_).get() == 200; }));
}

// Issue 14: a connection that never sends a request held its slot for the
// whole idle timeout (60 s by default).
TEST_F(ServerTest, ConnectionsThatNeverSendARequestAreClosedAfterTheHeaderTimeout) {
  ServerOptions o;
  o.header_timeout = 300ms;
  o.idle_timeout = 30s;
  o.read_timeout = 30s;
  start(o);
  const auto started = std::chrono::steady_clock::now();
  const RawClient silent("127.0.0.1", port_);
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.closedWithin(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
  // Half a header is cut off as soon, though the read timeout is long.
  HttpConnection partial("127.0.0.1", port_);
  partial.sendRaw("GET /fast HTTP/1.1\r\nHo");
  EXPECT_TRUE(partial.closedByPeer(3s));
  // A kept-alive connection still waits the idle timeout between requests.
  HttpConnection kept("127.0.0.1", port_);
  EXPECT_EQ(kept.request("GET", "/fast").status, 200);
  EXPECT_FALSE(kept.closedByPeer(600ms));
  EXPECT_EQ(kept.request("GET", "/fast").status, 200);
}

TEST_F(ServerTest, BlockingHandlersDoNotStallTheEventLoop) {
  ServerOptions o;
  o.threads = 1;  // a single event loop: an inline request must still get through
  start(o);
  auto slow =
      std::async(std::launch::async, [this] { return test::httpRequest(port_, "GET", "/slow"); });
  while (slow_started_.load() == 0) std::this_thread::sleep_for(1ms);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(test::httpRequest(port_, "GET", "/fast").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 300ms);
  EXPECT_EQ(slow.get().status, 200);
}

TEST_F(ServerTest, HandlerExceptionIs500ProblemAndServerLives) {
  start();
  const auto r = test::httpRequest(port_, "GET", "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  EXPECT_EQ(r.body.find("kaboom"), std::string::npos);
  EXPECT_EQ(test::httpRequest(port_, "GET", "/fast").status, 200);
}

TEST_F(ServerTest, PipelinedRequestsAnswerInOrder) {
  start();
  HttpConnection conn("127.0.0.1", port_);
  conn.sendRaw("GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(conn.readReply()->body, "\"1\"");
  EXPECT_EQ(conn.readReply()->body, "\"2\"");
}

TEST_F(ServerTest, StopDrainsInFlightRequestsThenRefusesNewOnes) {
  start();
  HttpConnection idle("127.0.0.1", port_);
  EXPECT_EQ(idle.request("GET", "/fast").status, 200);
  auto slow =
      std::async(std::launch::async, [this] { return test::httpRequest(port_, "GET", "/slow"); });
  while (slow_started_.load() == 0) std::this_thread::sleep_for(1ms);
  const auto stopped = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_EQ(slow.get().status, 200);  // the in-flight request completed
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, 200ms);
  EXPECT_TRUE(idle.closedByPeer(1s));  // the idle keep-alive connection was closed
  EXPECT_THROW(test::httpRequest(port_, "GET", "/fast"), std::runtime_error);
}

TEST_F(ServerTest, MetricsCountRequestsPerRouteAndStatus) {
  start();
  test::httpRequest(port_, "GET", "/fast");
  test::httpRequest(port_, "GET", "/nope");
  const std::string out = metrics::textOf([this](metrics::Exposition& e) { metrics_->collect(e); });
  EXPECT_NE(out.find(R"(route="/fast",method="GET",status="200"} 1)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"(route="unmatched",method="",status="404"} 1)"), std::string::npos);
}

// Issue 15 (G2): only a listener told to trust X-Emporium-Budget-Ms lets a
// caller's spent budget stop the handler; a public one ignores the header.
TEST_F(ServerTest, ASpentBudgetIs503OnlyWhereTheHeaderIsTrusted) {
  ServerOptions o;
  o.trust_budget_header = true;
  start(o);
  const auto spent = test::httpRequest(port_, "GET", "/slow", "", {{"X-Emporium-Budget-Ms", "0"}});
  EXPECT_EQ(spent.status, 503);
  EXPECT_EQ(spent.header("content-type"), "application/problem+json");
  EXPECT_NE(spent.body.find("budget-spent"), std::string::npos) << spent.body;
  EXPECT_EQ(slow_started_.load(), 0) << "the handler must not run";
  EXPECT_EQ(test::httpRequest(port_, "GET", "/fast", "", {{"X-Emporium-Budget-Ms", "0"}}).status,
            503);
  EXPECT_EQ(
      test::httpRequest(port_, "GET", "/fast", "", {{"X-Emporium-Budget-Ms", "nonsense"}}).status,
      200)
      << "a malformed budget is ignored";
  EXPECT_EQ(test::httpRequest(port_, "GET", "/slow", "", {{"X-Emporium-Budget-Ms", "5000"}}).status,
            200);
  EXPECT_EQ(slow_started_.load(), 1);
}

TEST_F(ServerTest, AnUntrustedServerIgnoresTheBudgetHeader) {
  start();  // trust_budget_header defaults to false
  const auto r = test::httpRequest(port_, "GET", "/slow", "", {{"X-Emporium-Budget-Ms", "0"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(slow_started_.load(), 1);
  EXPECT_EQ(test::httpRequest(port_, "GET", "/fast", "", {{"X-Emporium-Budget-Ms", "0"}}).status,
            200);
}

}  // namespace
}  // namespace emporium::net
