#pragma once
// The one HTTP client a service uses to call another (issue 15, part 2): one
// keep-alive pool per peer, a deadline for the whole call that travels
// downstream as the remaining budget, retries with full jitter for the calls
// that may be sent twice, one circuit breaker per peer, and the caller's
// X-Request-Id and W3C trace context passed on. libcurl lives in
// http_client.cpp only.
//
// Thread-safe: any number of threads may call() at once; each call borrows
// a connection of its peer's pool (or opens one) and returns it afterwards.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/resilience/backoff.hpp"
#include "core/resilience/breaker.hpp"

namespace emporium::net {

struct HttpCall {
  using Clock = std::chrono::steady_clock;

  std::string method = "GET";
  /// Absolute: http://host:port/path?query (https too). The scheme, host and
  /// port are the peer: its pool and its breaker.
  std::string url;
  std::string body;
  /// Sent as they are; names and values must hold no CR, LF or other control
  /// characters (a call with one is refused before anything is sent).
  std::vector<std::pair<std::string, std::string>> headers;
  /// The call may be sent again after a failure: a GET, or a write the peer
  /// deduplicates (an Idempotency-Key). Other calls are sent once, except
  /// when the connection could not even be made (nothing reached the peer).
  bool idempotent = false;
  /// The whole call, retries included, ends by then; the peer is told the
  /// time left (X-Emporium-Budget-Ms). Default: now + the client's
  /// default_timeout.
  Clock::time_point deadline = Clock::time_point::max();
  /// The request this call is made for: sent as X-Request-Id.
  std::string request_id;
  /// The incoming W3C traceparent, if any: the call carries the same trace
  /// id with a span id of its own. Empty: the call starts a new trace.
  std::string traceparent;
};

struct HttpReply {
  enum class Outcome : std::uint8_t {
    kAnswered,     // the peer answered; status and body are its answer
    kUnreachable,  // no answer: connection refused or broken
    kTimedOut,     // the deadline came first
    kRejected,     // the peer's breaker is open: nothing was sent
    kInvalid,      // the call itself is malformed (URL, header): nothing was sent
  };

  Outcome outcome = Outcome::kUnreachable;
  int status = 0;
  std::string body;
  std::string content_type;
  /// The answer's header fields as received (names as the peer spelled them),
  /// Content-Type among them.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Tries made (0 when nothing was sent).
  int attempts = 0;
  /// New connections the call opened (0 when a pooled one was reused).
  int connections_opened = 0;
  /// Some try may have reached the peer (a connection was made). False when
  /// every try failed to connect or the breaker refused: then the call may go
  /// to another instance whatever its method.
  bool delivered = false;
  /// What went wrong when outcome is not kAnswered.
  std::string error;

  bool answered() const { return outcome == Outcome::kAnswered; }
};

std::string_view outcomeName(HttpReply::Outcome outcome);

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{1000};
  /// A call's deadline when the caller gives none.
  std::chrono::milliseconds default_timeout{5000};
  /// Tries of an idempotent call, the first included.
  int max_attempts = 3;
  resilience::BackoffOptions backoff{std::chrono::milliseconds{25}, std::chrono::milliseconds{400},
                                     resilience::Jitter::kFull};
  /// Per peer. A peer that fails this many calls in a row (no answer, or a
  /// 5xx) is not called for a cool-down: callers get kRejected at once.
  resilience::BreakerOptions breaker{5, std::chrono::milliseconds{1000},
                                     std::chrono::milliseconds{30000}};
  /// Idle keep-alive connections kept per peer; more are closed after use.
  std::size_t max_idle_per_peer = 32;
  /// Larger answers are cut off and reported as kUnreachable.
  std::size_t max_response_bytes = std::size_t{8} << 20U;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {},
                      resilience::UniformRandom random = resilience::randomUpTo);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply call(const HttpCall& call);

  /// The breaker of a peer ("http://127.0.0.1:8080"): what /metrics and
  /// /readyz show. A peer never called is closed.
  resilience::Breaker::Snapshot peerState(std::string_view origin) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// "scheme://host:port" of an absolute URL, lower-cased, the port made
/// explicit (80/443 by scheme); empty when the URL is not http(s).
std::string originOf(std::string_view url);

/// A traceparent for a call: the incoming one's trace id and flags with a new
/// span id, or a new trace when `incoming` is empty or malformed.
std::string childTraceparent(std::string_view incoming);

}  // namespace emporium::net
