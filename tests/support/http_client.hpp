#pragma once
// A minimal blocking HTTP/1.1 client over a raw socket. Tests use it instead
// of a library client so they can send exactly the bytes they mean, malformed
// ones included, and see exactly what comes back.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace emporium::test {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

class HttpConnection {
 public:
  HttpConnection(const std::string& host, std::uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void sendRaw(const std::string& bytes);
  /// Reads one response; nullopt when the server closed the connection first.
  std::optional<HttpReply> readReply(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                     bool head_request = false);
  /// True when the server has closed the connection (read returns EOF) within timeout.
  bool closedByPeer(std::chrono::milliseconds timeout);

  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = {},
                    const std::map<std::string, std::string>& headers = {});

 private:
  bool fill(std::chrono::milliseconds timeout);
  int fd_ = -1;
  std::string buffer_;
};

/// One request on a fresh connection.
HttpReply httpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body = {},
                      const std::map<std::string, std::string>& headers = {});

}  // namespace emporium::test
