#pragma once
// How a service's remote client calls another service's internal routes
// (issue 15, part 2): the instances taken in turn, the deployment's service
// credential on every call, a deadline (the sooner of the client's timeout
// and the deadline of the request this thread is handling, whose id and
// trace context go along: http::RequestScope), JSON in and out, and every way of
// not getting a usable answer (no answer, breaker open, deadline passed, a
// 5xx, the credential refused, an answer of the wrong shape) as
// net::PeerError naming the service, which a request turns into 503.
//
// Each remote client (inventory::RemoteClient, catalog::RemoteClient, ...)
// owns one and writes only its calls' bodies and readers.

#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/json/wire.hpp"
#include "core/net/http_client.hpp"
#include "core/net/peer_error.hpp"

namespace emporium::net {

class ServiceCaller {
 public:
  /// `service` names the callee in errors ("inventory"); `prefix` is its
  /// internal routes' path ("/internal/v1/inventory"); `urls` the base URLs
  /// of its instances; `secret` the service credential. `http` outlives it.
  /// Throws std::invalid_argument without a URL.
  ServiceCaller(HttpClient& http, std::string service, std::string prefix,
                std::vector<std::string> urls, std::string secret,
                std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

  /// What an instance answered, when it answered with a status below 500
  /// other than 401/403 (those are PeerError: no usable answer).
  struct Answer {
    int status = 0;
    std::string body;
  };

  /// One call: METHOD <instance><prefix>/<name>, with `body` as JSON when it
  /// is not empty. `idempotent`: the call may be sent again after a failure
  /// (else only when the connection was never made).
  Answer call(std::string_view method, std::string_view name, std::string body, bool idempotent);

  /// call() whose answer must have status `expected`: its body; PeerError
  /// for any other.
  std::string expect(std::string_view method, std::string_view name, std::string body, int expected,
                     bool idempotent);

  /// Throws PeerError: `name` got an answer its caller did not expect.
  [[noreturn]] void unexpected(std::string_view name, const Answer& answer) const;

  /// Reads an answer's JSON body with `read(root)`: a body that does not
  /// parse, or a json::wire::ShapeError from `read`, is the peer's fault:
  /// PeerError.
  template <class Read>
  auto read(const std::string& body, Read read_root) const {
    rapidjson::Document document;
    document.Parse(body.data(), body.size());
    if (document.HasParseError()) throw PeerError(service_, "unreadable answer: not JSON");
    try {
      return read_root(static_cast<const rapidjson::Value&>(document));
    } catch (const json::wire::ShapeError& error) {
      throw PeerError(service_, std::string("unexpected answer: ") + error.what());
    }
  }

  const std::string& service() const noexcept { return service_; }

 private:
  HttpClient& http_;
  std::string service_;
  std::string prefix_;
  std::vector<std::string> urls_;
  std::string secret_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace emporium::net
