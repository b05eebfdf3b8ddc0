#pragma once
// The request a thread is handling, for the code it calls that has no
// request in hand: a service's remote client, reached through a contract
// (inventory::Client, ...) that carries plain data and no HTTP types, still
// owes the callee the request's deadline (as the remaining budget), its
// X-Request-Id and its trace context (issue 15).
//
// A thread-local pointer set for the span of one handler call (RAII), not
// global state: each thread sees only the request it is running, nothing
// outlives the handler, and a thread outside any request (a sweeper, a
// consumer) sees none and uses the client's own timeout.

namespace emporium::http {

class Request;

class RequestScope {
 public:
  explicit RequestScope(const Request& request) noexcept;
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
  RequestScope(RequestScope&&) = delete;
  RequestScope& operator=(RequestScope&&) = delete;

  /// The request this thread is handling, or null.
  static const Request* current() noexcept;

 private:
  const Request* previous_;
};

}  // namespace emporium::http
