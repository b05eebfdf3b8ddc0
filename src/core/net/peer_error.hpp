#pragma once
// What a remote client (a service's contract over net::HttpClient) throws
// when the service it calls gives no usable answer. The composition root
// turns it into 503 with Retry-After (app::translateError), the same answer a
// request gets when one of its own databases is down.

#include <stdexcept>
#include <string>
#include <utility>

namespace emporium::net {

class PeerError : public std::runtime_error {
 public:
  /// `service` is the callee's name ("inventory"); `what` says what failed.
  PeerError(std::string service, const std::string& what)
      : std::runtime_error(message(service, what)), service_(std::move(service)) {}

  const std::string& service() const noexcept { return service_; }

 private:
  // Appended rather than `service + ": " + what`, which GCC 12 misreads as an
  // out-of-bounds copy (-Warray-bounds) once inlined.
  static std::string message(const std::string& service, const std::string& what) {
    std::string text;
    text.reserve(service.size() + 2 + what.size());
    text.append(service).append(": ").append(what);
    return text;
  }

  std::string service_;
};

}  // namespace emporium::net
