#include "core/net/service_caller.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "core/http/request.hpp"
#include "core/http/request_scope.hpp"
#include "core/http/service_credential.hpp"

namespace emporium::net {

ServiceCaller::ServiceCaller(HttpClient& http, std::string service, std::string prefix,
                             std::vector<std::string> urls, std::string secret,
                             std::chrono::milliseconds timeout)
    : http_(http),
      service_(std::move(service)),
      prefix_(std::move(prefix)),
      urls_(std::move(urls)),
      secret_(std::move(secret)),
      timeout_(timeout) {
  if (urls_.empty()) throw std::invalid_argument(service_ + ": a remote client needs a URL");
}

ServiceCaller::Answer ServiceCaller::call(std::string_view method, std::string_view name,
                                          std::string body, bool idempotent) {
  HttpCall request;
  request.method = std::string(method);
  request.body = std::move(body);
  request.headers.emplace_back(std::string(http::ServiceCredential::kHeader), secret_);
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.idempotent = idempotent;
  request.deadline = HttpCall::Clock::now() + timeout_;
  // Made for a request: no later than it is wanted (the callee is told the
  // time left and refuses work nobody waits for), under its id and trace.
  if (const http::Request* caller = http::RequestScope::current()) {
    request.deadline = std::min(request.deadline, caller->deadline());
    request.request_id = std::string(caller->request_id);
    request.traceparent = std::string(caller->header("traceparent"));
  }
  // Round robin over the instances; one deadline for the whole call. An
  // instance that gives no usable answer hands the call to the next one when
  // nothing reached it (refused, breaker open) or the call may be sent
  // twice, so a dead instance costs a caller a failed connect, not a 503.
  const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  HttpReply reply;
  for (std::size_t i = 0; i < urls_.size(); ++i) {
    request.url = urls_[(first + i) % urls_.size()] + prefix_ + "/" + std::string(name);
    reply = http_.call(request);
    const bool usable = reply.answered() && reply.status < 500;
    if (usable || (reply.delivered && !idempotent)) break;
    if (HttpCall::Clock::now() >= request.deadline) break;
  }
  if (!reply.answered()) {
    std::string what(name);
    what.append(": ").append(outcomeName(reply.outcome));
    if (!reply.error.empty()) what.append(" (").append(reply.error).append(")");
    throw PeerError(service_, what);
  }
  Answer answer{reply.status, std::move(reply.body)};
  // A refused credential is a deployment mistake, not the caller's: the
  // request cannot be served, as when the peer is down.
  if (answer.status >= 500 || answer.status == 401 || answer.status == 403) {
    unexpected(name, answer);
  }
  return answer;
}

std::string ServiceCaller::expect(std::string_view method, std::string_view name, std::string body,
                                  int expected, bool idempotent) {
  Answer answer = call(method, name, std::move(body), idempotent);
  if (answer.status != expected) unexpected(name, answer);
  return std::move(answer.body);
}

void ServiceCaller::unexpected(std::string_view name, const Answer& answer) const {
  throw PeerError(service_, std::string(name) + " answered " + std::to_string(answer.status) +
                                ": " + answer.body.substr(0, 200));
}

}  // namespace emporium::net
