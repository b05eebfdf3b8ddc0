#pragma once

#include <string>

namespace emporium::deps {

/// scheme://[user[:password]@]host[:port][/path] with percent-decoded parts.
struct ServerUrl {
  std::string scheme;
  std::string user;
  std::string password;
  std::string host;
  int port = 0;
  std::string path;  // without the leading '/', decoded
};

/// Throws std::invalid_argument on a malformed URL.
ServerUrl parseServerUrl(const std::string& url, int default_port);

}  // namespace emporium::deps
