#include "core/deps/url.hpp"

#include <charconv>
#include <stdexcept>

#include "core/http/request.hpp"

namespace emporium::deps {

ServerUrl parseServerUrl(const std::string& url, int default_port) {
  ServerUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) {
    throw std::invalid_argument("not a URL: missing scheme://");
  }
  out.scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    out.path = http::percentDecode(rest.substr(slash + 1), false).value_or(rest.substr(slash + 1));
  }
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    const std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    out.user = http::percentDecode(userinfo.substr(0, colon), false).value_or("");
    if (colon != std::string::npos) {
      out.password = http::percentDecode(userinfo.substr(colon + 1), false).value_or("");
    }
  }
  out.port = default_port;
  std::string host = authority;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string::npos) throw std::invalid_argument("unterminated IPv6 address");
    out.host = host.substr(1, close - 1);
    host = host.substr(close + 1);
    if (!host.empty() && host.front() == ':')
      host = host.substr(1);
    else
      host.clear();
    if (!host.empty()) host = ":" + host;
  } else {
    const auto colon = host.rfind(':');
    out.host = host.substr(0, colon);
    host = colon == std::string::npos ? "" : host.substr(colon);
  }
  if (!host.empty()) {
    const std::string port = host.substr(1);
    int p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p <= 0 || p > 65535) {
      throw std::invalid_argument("invalid port in URL");
    }
    out.port = p;
  }
  if (out.host.empty()) throw std::invalid_argument("URL has no host");
  return out;
}

}  // namespace emporium::deps
