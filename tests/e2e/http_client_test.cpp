// net::HttpClient against real in-process servers (core/net/server.hpp) on
// loopback: keep-alive reuse, which calls are sent again, the deadline and the
// budget it sends, the breaker per peer, what it refuses to send.
#include "core/net/http_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "core/http/router.hpp"
#include "core/log/logger.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/server.hpp"
#include "e2e/process.hpp"

namespace emporium::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One in-process server with a few routes that count their calls.
class Peer {
 public:
  Peer() {
    router_.add(http::Method::kGet, "/ok",
                [this](http::Request&) {
                  ++calls_;
                  return http::Response::json(200, R"({"ok":true})");
                },
                {http::Execution::kInline});
    router_.add(http::Method::kPost, "/unavailable", [this](http::Request&) {
      ++calls_;
      return http::Response::json(503, R"({"title":"busy"})");
    });
    router_.add(http::Method::kGet, "/unavailable", [this](http::Request&) {
      ++calls_;
      return http::Response::json(503, R"({"title":"busy"})");
    });
    router_.add(http::Method::kGet, "/refused", [this](http::Request&) {
      ++calls_;
      return http::Response::json(503, R"({"title":"provider down"})")
          .withHeader("Retry-After", "5")
          .withHeader(std::string(http::kUnavailableDependencyHeader), "payment-provider");
    });
    router_.add(http::Method::kGet, "/database-down", [this](http::Request&) {
      ++calls_;
      return http::Response::json(503, R"({"title":"database unavailable"})")
          .withHeader("Retry-After", "1");
    });
    router_.add(http::Method::kGet, "/slow", [this](http::Request&) {
      ++calls_;
      std::this_thread::sleep_for(1500ms);
      return http::Response::json(200, "{}");
    });
    router_.add(http::Method::kGet, "/headers", [this](http::Request& request) {
      ++calls_;
      const auto budget = request.header(http::kBudgetHeader);
      const auto trace = request.header("traceparent");
      return http::Response{
          200,
          http::kTextPlain,
          std::string(budget) + "\n" + std::string(request.request_id) + "\n" + std::string(trace),
          {}};
    });
    metrics_ = std::make_unique<metrics::HttpMetrics>(router_);
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 1;
    options.blocking_threads = 2;
    options.access_log = false;
    options.shutdown_grace = 100ms;
    server_ = std::make_unique<HttpServer>(options, router_, logger_, *metrics_);
    server_->start();
  }
  ~Peer() { server_->stop(); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int calls() const { return calls_.load(); }
  std::uint64_t connectionsAccepted() const { return metrics_->connections_accepted.load(); }

 private:
  log::Logger logger_{log::Level::kError};
  http::Router router_;
  std::unique_ptr<metrics::HttpMetrics> metrics_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> calls_{0};
};

HttpClientOptions fastRetries() {
  HttpClientOptions options;
  options.max_attempts = 3;
  options.backoff = {1ms, 5ms, resilience::Jitter::kFull};
  options.breaker.failure_threshold = 100;  // out of the way unless a test is about it
  return options;
}

HttpCall get(const std::string& url) {
  HttpCall call;
  call.url = url;
  call.idempotent = true;
  return call;
}

TEST(HttpClient, ReusesTheConnection) {
  Peer peer;
  HttpClient client(fastRetries());
  const HttpReply first = client.call(get(peer.url("/ok")));
  ASSERT_TRUE(first.answered()) << first.error;
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, R"({"ok":true})");
  EXPECT_EQ(first.content_type, "application/json");
  const auto request_id = std::find_if(first.headers.begin(), first.headers.end(),
                                       [](const auto& h) { return h.first == "X-Request-Id"; });
  EXPECT_NE(request_id, first.headers.end()) << "the answer's header fields are kept";
  EXPECT_EQ(first.connections_opened, 1);
  for (int i = 0; i < 5; ++i) {
    const HttpReply again = client.call(get(peer.url("/ok")));
    ASSERT_TRUE(again.answered()) << again.error;
    EXPECT_EQ(again.connections_opened, 0) << "call " << i << " opened a connection";
  }
  EXPECT_EQ(peer.calls(), 6);
  EXPECT_EQ(peer.connectionsAccepted(), 1U);
}

TEST(HttpClient, NeverRetriesANonIdempotentCall) {
  Peer peer;
  HttpClient client(fastRetries());
  HttpCall write;
  write.method = "POST";
  write.url = peer.url("/unavailable");
  write.body = R"({"n":1})";
  write.headers = {{"Content-Type", "application/json"}};
  const HttpReply once = client.call(write);
  ASSERT_TRUE(once.answered()) << once.error;
  EXPECT_EQ(once.status, 503);
  EXPECT_EQ(once.attempts, 1);
  EXPECT_EQ(peer.calls(), 1);

  // The same call marked idempotent (say it carries an Idempotency-Key) is
  // tried up to max_attempts times.
  write.idempotent = true;
  const HttpReply retried = client.call(write);
  EXPECT_EQ(retried.status, 503);
  EXPECT_EQ(retried.attempts, 3);
  EXPECT_EQ(peer.calls(), 4);
}

TEST(HttpClient, AnAnswerThatSaysWhenToComeBackIsNotResent) {
  Peer peer;
  HttpClient client(fastRetries());
  const HttpReply reply = client.call(get(peer.url("/refused")));
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.attempts, 1) << "the peer said Retry-After: its decision, not a blip";
  EXPECT_EQ(peer.calls(), 1);
}

TEST(HttpClient, ARefusedConnectionIsTriedAgainEvenForAWrite) {
  const test::ClosedPort closed;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed.port()) + "/x";

  HttpClient client(fastRetries());
  HttpCall write;
  write.method = "POST";
  write.url = url;
  write.body = "{}";
  const HttpReply reply = client.call(write);
  EXPECT_EQ(reply.outcome, HttpReply::Outcome::kUnreachable) << reply.error;
  EXPECT_EQ(reply.attempts, 3) << "nothing reached the peer, so trying again is safe";
  EXPECT_FALSE(reply.error.empty());
}

TEST(HttpClient, StopsAtTheDeadline) {
  Peer peer;
  HttpClientOptions options = fastRetries();
  options.max_attempts = 10;
  HttpClient client(options);
  HttpCall call = get(peer.url("/slow"));
  const auto started = Clock::now();
  call.deadline = started + 300ms;
  const HttpReply reply = client.call(call);
  const auto took = Clock::now() - started;
  EXPECT_EQ(reply.outcome, HttpReply::Outcome::kTimedOut) << reply.error;
  EXPECT_EQ(reply.attempts, 1) << "no time was left for another try";
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 800ms);

  // A deadline already passed sends nothing.
  HttpCall late = get(peer.url("/ok"));
  late.deadline = Clock::now() - 1ms;
  const int before = peer.calls();
  const HttpReply none = client.call(late);
  EXPECT_EQ(none.outcome, HttpReply::Outcome::kTimedOut);
  EXPECT_EQ(none.attempts, 0);
  EXPECT_EQ(peer.calls(), before);
}

TEST(HttpClient, SendsTheRemainingBudgetTheRequestIdAndTheTrace) {
  Peer peer;
  HttpClient client(fastRetries());
  HttpCall call = get(peer.url("/headers"));
  call.deadline = Clock::now() + 2000ms;
  call.request_id = "req-42";
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  call.traceparent = incoming;
  const HttpReply reply = client.call(call);
  ASSERT_TRUE(reply.answered()) << reply.error;
  const auto first_break = reply.body.find('\n');
  const auto second_break = reply.body.find('\n', first_break + 1);
  ASSERT_NE(second_break, std::string::npos) << reply.body;
  const long budget = std::stol(reply.body.substr(0, first_break));
  EXPECT_GT(budget, 1000);
  EXPECT_LE(budget, 2000);
  EXPECT_EQ(reply.body.substr(first_break + 1, second_break - first_break - 1), "req-42");
  const std::string sent = reply.body.substr(second_break + 1);
  ASSERT_EQ(sent.size(), 55U) << sent;
  EXPECT_EQ(sent.substr(0, 36), incoming.substr(0, 36)) << "same version and trace id";
  EXPECT_NE(sent.substr(36, 16), incoming.substr(36, 16)) << "a span id of its own";
  EXPECT_EQ(sent.substr(52), "-01");
}

TEST(HttpClient, OneBreakerPerPeer) {
  Peer failing;
  Peer healthy;
  HttpClientOptions options = fastRetries();
  options.max_attempts = 1;
  options.breaker = {2, 10s, 10s};
  HttpClient client(options);
  for (int i = 0; i < 2; ++i) {
    const HttpReply reply = client.call(get(failing.url("/unavailable")));
    EXPECT_EQ(reply.status, 503);
  }
  const HttpReply rejected = client.call(get(failing.url("/unavailable")));
  EXPECT_EQ(rejected.outcome, HttpReply::Outcome::kRejected);
  EXPECT_EQ(rejected.attempts, 0);
  EXPECT_EQ(failing.calls(), 2) << "an open breaker sends nothing";
  EXPECT_EQ(client.peerState(failing.origin()).state, resilience::Breaker::State::kOpen);

  const HttpReply other = client.call(get(healthy.url("/ok")));
  ASSERT_TRUE(other.answered()) << other.error;
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(client.peerState(healthy.origin()).state, resilience::Breaker::State::kClosed);
}

TEST(HttpClient, ARefusalForAnUnavailableDependencyLeavesTheBreakerClosed) {
  Peer deciding;
  HttpClientOptions options = fastRetries();
  options.max_attempts = 1;
  options.breaker = {2, 10s, 10s};
  HttpClient client(options);
  // Refusals because of what the peer depends on (a checkout while the card
  // provider is down): the peer is up, so its other routes stay reachable.
  for (int i = 0; i < 5; ++i) {
    const HttpReply reply = client.call(get(deciding.url("/refused")));
    EXPECT_EQ(reply.status, 503);
    EXPECT_EQ(reply.attempts, 1);
  }
  EXPECT_EQ(client.peerState(deciding.origin()).state, resilience::Breaker::State::kClosed);
  const HttpReply other = client.call(get(deciding.url("/ok")));
  EXPECT_EQ(other.status, 200) << other.error;
  EXPECT_EQ(deciding.calls(), 6);
  // A 503 of its own (its database is down) is the peer failing, Retry-After or not.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(client.call(get(deciding.url("/database-down"))).status, 503);
  }
  EXPECT_EQ(client.peerState(deciding.origin()).state, resilience::Breaker::State::kOpen);
}

TEST(HttpClient, RefusesToSendMalformedCalls) {
  HttpClient client(fastRetries());
  HttpCall ftp;
  ftp.url = "ftp://127.0.0.1/file";
  EXPECT_EQ(client.call(ftp).outcome, HttpReply::Outcome::kInvalid);

  HttpCall split = get("http://127.0.0.1:1/x");
  split.headers = {{"X-Note", "a\r\nX-Injected: 1"}};
  const HttpReply refused = client.call(split);
  EXPECT_EQ(refused.outcome, HttpReply::Outcome::kInvalid);
  EXPECT_EQ(refused.attempts, 0);

  HttpCall method = get("http://127.0.0.1:1/x");
  method.method = "GET /other";
  EXPECT_EQ(client.call(method).outcome, HttpReply::Outcome::kInvalid);
}

TEST(HttpClient, OriginNamesSchemeHostAndPort) {
  EXPECT_EQ(originOf("http://Example.com/a?b"), "http://example.com:80");
  EXPECT_EQ(originOf("https://example.com"), "https://example.com:443");
  EXPECT_EQ(originOf("http://127.0.0.1:8081/x"), "http://127.0.0.1:8081");
  EXPECT_EQ(originOf("http://[::1]:9/x"), "http://[::1]:9");
  EXPECT_EQ(originOf("http://[::1]/x"), "http://[::1]:80");
  EXPECT_EQ(originOf("ftp://example.com"), "");
  EXPECT_EQ(originOf("http://user@example.com/"), "");
  EXPECT_EQ(originOf("example.com"), "");
}

TEST(HttpClient, ChildTraceparentKeepsTheTraceOrStartsOne) {
  const std::string incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
  const std::string child = childTraceparent(incoming);
  EXPECT_EQ(child.substr(0, 36), incoming.substr(0, 36));
  EXPECT_EQ(child.substr(52), "-00") << "the caller's sampling flag is kept";
  for (const std::string& bad :
       {std::string(), std::string("garbage"),
        std::string("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        std::string("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")}) {
    const std::string fresh = childTraceparent(bad);
    ASSERT_EQ(fresh.size(), 55U) << bad;
    EXPECT_EQ(fresh.substr(0, 3), "00-");
    EXPECT_NE(fresh.substr(3, 32), std::string(32, '0'));
    EXPECT_EQ(fresh.substr(52), "-01");
  }
  EXPECT_NE(childTraceparent(""), childTraceparent("")) << "each new trace is its own";
}

}  // namespace
}  // namespace emporium::net
