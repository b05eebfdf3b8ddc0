#include "core/net/http_client.hpp"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "core/http/request.hpp"

namespace emporium::net {
namespace {

using Clock = HttpCall::Clock;
using std::chrono::milliseconds;

// How early curl may report a timeout against our clock.
constexpr milliseconds kTimerSlack{20};

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

struct BodySink {
  std::string* body;
  std::size_t limit;
  bool overflowed = false;
};

std::size_t appendBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->limit) {
    sink->overflowed = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  sink->body->append(data, bytes);
  return bytes;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// One header line of the answer. A status line starts the list again: only
// the last answer's fields count (after a 100 Continue, say).
std::size_t collectHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return bytes;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes;
  headers->emplace_back(std::string(trimmed(line.substr(0, colon))),
                        std::string(trimmed(line.substr(colon + 1))));
  return bytes;
}

bool headerSafe(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool tokenMethod(std::string_view method) {
  return !method.empty() && method.size() <= 16 &&
         std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::uint64_t randomWord() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

std::string hex(std::uint64_t value, int digits) {
  static constexpr std::array<char, 16> kDigits{'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[value & 0xFU];
    value >>= 4U;
  }
  return out;
}

bool lowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool allZero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

// A span id that is never all zeros (the W3C form forbids it).
std::string newSpanId() {
  std::uint64_t word = randomWord();
  if (word == 0) word = 1;
  return hex(word, 16);
}

// What one try came to, and whether another may follow.
struct Attempt {
  HttpReply::Outcome outcome = HttpReply::Outcome::kUnreachable;
  bool peer_failed = false;   // counts against the peer's breaker
  bool retryable = false;     // may be sent again (if the call allows it)
  bool sent_nothing = false;  // the connection was never made: safe for any call
};

}  // namespace

std::string_view outcomeName(HttpReply::Outcome outcome) {
  switch (outcome) {
    case HttpReply::Outcome::kAnswered:
      return "answered";
    case HttpReply::Outcome::kUnreachable:
      return "unreachable";
    case HttpReply::Outcome::kTimedOut:
      return "timed_out";
    case HttpReply::Outcome::kRejected:
      return "rejected";
    case HttpReply::Outcome::kInvalid:
      return "invalid";
  }
  return "unknown";
}

std::string originOf(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return {};
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.empty() || rest.find('@') != std::string_view::npos) return {};
  std::string host_port = lower(rest);
  const std::size_t bracket = host_port.rfind(']');
  const std::size_t colon = host_port.rfind(':');
  const bool has_port =
      colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (!has_port) host_port += scheme == "https" ? ":443" : ":80";
  if (!headerSafe(host_port) || host_port.find(' ') != std::string::npos) return {};
  return scheme + "://" + host_port;
}

std::string childTraceparent(std::string_view incoming) {
  // version-traceid(32)-parentid(16)-flags: 2+1+32+1+16+1+2 = 55 characters.
  if (incoming.size() == 55 && incoming[2] == '-' && incoming[35] == '-' && incoming[52] == '-') {
    const std::string_view version = incoming.substr(0, 2);
    const std::string_view trace_id = incoming.substr(3, 32);
    const std::string_view flags = incoming.substr(53, 2);
    if (lowerHex(version) && version != "ff" && lowerHex(trace_id) && !allZero(trace_id) &&
        lowerHex(incoming.substr(36, 16)) && lowerHex(flags)) {
      return "00-" + std::string(trace_id) + "-" + newSpanId() + "-" + std::string(flags);
    }
  }
  std::string trace_id = hex(randomWord(), 16) + hex(randomWord(), 16);
  if (allZero(trace_id)) trace_id.back() = '1';
  return "00-" + trace_id + "-" + newSpanId() + "-01";
}

// One peer: its idle connections (easy handles keep theirs open between
// calls) and its breaker.
struct Peer {
  explicit Peer(const resilience::BreakerOptions& options) : breaker(options) {}

  std::mutex mutex;
  std::vector<EasyHandle> idle;
  resilience::Breaker breaker;
};

struct HttpClient::Impl {
  Impl(const HttpClientOptions& o, resilience::UniformRandom random)
      : options(o), backoff(options.backoff, std::move(random)) {}

  Peer& peer(const std::string& origin) {
    const std::lock_guard lock(peers_mutex);
    auto& slot = peers[origin];
    if (!slot) slot = std::make_unique<Peer>(options.breaker);
    return *slot;
  }

  const Peer* findPeer(const std::string& origin) const {
    const std::lock_guard lock(peers_mutex);
    const auto it = peers.find(origin);
    return it == peers.end() ? nullptr : it->second.get();
  }

  EasyHandle borrow(Peer& p) const {
    {
      const std::lock_guard lock(p.mutex);
      if (!p.idle.empty()) {
        EasyHandle handle = std::move(p.idle.back());
        p.idle.pop_back();
        return handle;
      }
    }
    return EasyHandle(curl_easy_init());
  }

  void giveBack(Peer& p, EasyHandle handle) const {
    const std::lock_guard lock(p.mutex);
    if (p.idle.size() < options.max_idle_per_peer) p.idle.push_back(std::move(handle));
  }

  Attempt send(CURL* h, const HttpCall& call, const std::string& traceparent,
               Clock::time_point deadline, HttpReply& reply) const;

  const HttpClientOptions options;
  const resilience::Backoff backoff;
  mutable std::mutex peers_mutex;
  std::map<std::string, std::unique_ptr<Peer>, std::less<>> peers;
};

Attempt HttpClient::Impl::send(CURL* h, const HttpCall& call, const std::string& traceparent,
                               Clock::time_point deadline, HttpReply& reply) const {
  Attempt attempt;
  const auto remaining =
      std::max(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()), milliseconds{1});
  std::vector<std::string> lines;
  lines.reserve(call.headers.size() + 4);
  for (const auto& [name, value] : call.headers) {
    std::string line = name;
    line.append(": ").append(value);
    lines.push_back(std::move(line));
  }
  if (!call.request_id.empty()) lines.push_back("X-Request-Id: " + call.request_id);
  lines.push_back("traceparent: " + traceparent);
  lines.push_back(std::string(http::kBudgetHeader) + ": " + std::to_string(remaining.count()));
  lines.emplace_back("Expect:");  // no 100-continue round trip before a body
  HeaderList headers;
  for (const std::string& line : lines) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) throw std::bad_alloc();
    static_cast<void>(headers.release());
    headers.reset(next);
  }

  std::array<char, CURL_ERROR_SIZE> error{};
  BodySink sink{&reply.body, options.max_response_bytes};
  reply.body.clear();
  curl_easy_setopt(h, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are multi-threaded
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(options.connect_timeout, remaining).count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  reply.headers.clear();
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &collectHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error.data());
  if (call.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (call.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    if (call.method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    if (call.method == "POST" || !call.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
  }

  const CURLcode rc = curl_easy_perform(h);
  long connects = 0;
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
  reply.connections_opened += static_cast<int>(connects);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  const char* type = nullptr;
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
  reply.content_type = rc == CURLE_OK && type != nullptr ? type : "";
  // The handle must not keep pointers to this frame (header list, buffers)
  // while it waits in the pool.
  curl_easy_reset(h);
  if (rc == CURLE_OK) {
    reply.status = static_cast<int>(status);
    reply.error.clear();
    attempt.outcome = HttpReply::Outcome::kAnswered;
    // A 5xx is the peer failing; of those, only "not now" answers are worth
    // another try (a 500 is a bug that answers the same way again), and not
    // one that says when to come back (Retry-After): that is the peer's own
    // decision, such as a checkout refused while the card provider is down,
    // which a resend would only repeat.
    const auto has = [&reply](std::string_view name) {
      return std::any_of(reply.headers.begin(), reply.headers.end(), [name](const auto& h) {
        return h.first.size() == name.size() &&
               strncasecmp(h.first.c_str(), name.data(), name.size()) == 0;
      });
    };
    const bool says_when = has("Retry-After");
    // A refusal because of the peer's own dependency (the card provider,
    // another service) does not count against the peer's breaker: the peer
    // is up. Counting it let a gateway's breaker for orders open after a
    // few checkouts refused for a card provider outage, and then refuse
    // every orders request, cash on delivery and history included.
    attempt.peer_failed = status >= 500 && !has(http::kUnavailableDependencyHeader);
    attempt.retryable = (status == 502 || status == 503 || status == 504) && !says_when;
    return attempt;
  }
  reply.body.clear();
  reply.headers.clear();
  reply.status = 0;
  reply.error = error[0] != '\0' ? std::string(error.data()) : curl_easy_strerror(rc);
  attempt.peer_failed = true;
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      // Every try may run until the deadline, so a timeout with time left
      // (more than curl's millisecond rounding) was the connect timeout:
      // nothing was sent.
      if (deadline - Clock::now() > kTimerSlack) {
        attempt.outcome = HttpReply::Outcome::kUnreachable;
        attempt.retryable = true;
        attempt.sent_nothing = true;
      } else {
        attempt.outcome = HttpReply::Outcome::kTimedOut;
      }
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      attempt.outcome = HttpReply::Outcome::kUnreachable;
      attempt.retryable = true;
      attempt.sent_nothing = true;
      break;
    case CURLE_WRITE_ERROR:
      if (sink.overflowed) {
        reply.error =
            "the answer is larger than " + std::to_string(options.max_response_bytes) + " bytes";
        attempt.peer_failed = false;  // the peer works; this answer is not for us
        break;
      }
      attempt.retryable = true;
      break;
    default:
      attempt.retryable = true;  // connection reset, nothing received: for idempotent calls
      break;
  }
  return attempt;
}

HttpClient::HttpClient(HttpClientOptions options, resilience::UniformRandom random)
    : impl_(std::make_unique<Impl>(options, std::move(random))) {}

HttpClient::~HttpClient() = default;

HttpReply HttpClient::call(const HttpCall& call) {
  HttpReply reply;
  const std::string origin = originOf(call.url);
  if (origin.empty() || !headerSafe(call.url) || call.url.find(' ') != std::string::npos) {
    reply.outcome = HttpReply::Outcome::kInvalid;
    reply.error = "not an http(s) URL: " + call.url;
    return reply;
  }
  if (!tokenMethod(call.method)) {
    reply.outcome = HttpReply::Outcome::kInvalid;
    reply.error = "not an HTTP method: " + call.method;
    return reply;
  }
  for (const auto& [name, value] : call.headers) {
    if (name.empty() || !headerSafe(name) || !headerSafe(value) ||
        name.find(':') != std::string::npos) {
      reply.outcome = HttpReply::Outcome::kInvalid;
      reply.error = "a header holds a control character or a colon in its name: " + name;
      return reply;
    }
  }
  if (!headerSafe(call.request_id)) {
    reply.outcome = HttpReply::Outcome::kInvalid;
    reply.error = "the request id holds a control character";
    return reply;
  }

  const Clock::time_point deadline = call.deadline == Clock::time_point::max()
                                         ? Clock::now() + impl_->options.default_timeout
                                         : call.deadline;
  const std::string traceparent = childTraceparent(call.traceparent);
  Peer& peer = impl_->peer(origin);
  const int max_attempts = std::max(impl_->options.max_attempts, 1);
  reply.outcome = HttpReply::Outcome::kTimedOut;
  reply.error = "the deadline passed before the call was made";
  for (int n = 1; n <= max_attempts; ++n) {
    if (Clock::now() >= deadline) {
      if (reply.attempts > 0) reply.outcome = HttpReply::Outcome::kTimedOut;
      return reply;
    }
    const auto admission = peer.breaker.admit();
    if (admission == resilience::Breaker::Admission::kRejected) {
      // After a try, its outcome stands: the breaker only stops another one.
      if (reply.attempts > 0) return reply;
      reply.outcome = HttpReply::Outcome::kRejected;
      reply.error = "the circuit to " + origin + " is open";
      return reply;
    }
    EasyHandle handle = impl_->borrow(peer);
    if (!handle) {
      peer.breaker.onBusy(admission);
      reply.outcome = HttpReply::Outcome::kUnreachable;
      reply.error = "curl_easy_init failed";
      return reply;
    }
    Attempt attempt;
    try {
      ++reply.attempts;
      attempt = impl_->send(handle.get(), call, traceparent, deadline, reply);
    } catch (...) {
      peer.breaker.onFailure(admission);  // a probe must always report back
      throw;
    }
    reply.outcome = attempt.outcome;
    if (!attempt.sent_nothing) reply.delivered = true;
    if (attempt.peer_failed) {
      peer.breaker.onFailure(admission);
    } else {
      peer.breaker.onSuccess(admission);
    }
    // A connection that failed is not handed to the next caller.
    if (attempt.outcome == HttpReply::Outcome::kAnswered) impl_->giveBack(peer, std::move(handle));

    const bool may_resend = attempt.retryable && (call.idempotent || attempt.sent_nothing);
    if (!may_resend || n == max_attempts) return reply;
    const milliseconds wait = impl_->backoff.delayAfter(n);
    if (Clock::now() + wait >= deadline) return reply;
    std::this_thread::sleep_for(wait);
  }
  return reply;
}

resilience::Breaker::Snapshot HttpClient::peerState(std::string_view origin) const {
  const Peer* peer = impl_->findPeer(std::string(origin));
  return peer == nullptr ? resilience::Breaker::Snapshot{} : peer->breaker.snapshot();
}

}  // namespace emporium::net
