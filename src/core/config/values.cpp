#include "core/config/values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace emporium::config::values {

bool parseUnsigned(const std::string& text, std::uint64_t min, std::uint64_t max,
                   std::uint64_t& out) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < min || v > max) return false;
  out = v;
  return true;
}

std::optional<bool> parseBool(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true" || text == "1" || text == "on" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "off" || text == "no") return false;
  return std::nullopt;
}

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    const auto first = item.find_first_not_of(' ');
    const auto last = item.find_last_not_of(' ');
    item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    if (!item.empty()) items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

bool originUrl(const std::string& url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = std::string_view(url).substr(7);
  } else if (url.starts_with("https://")) {
    rest = std::string_view(url).substr(8);
  } else {
    return false;
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ \t") != std::string_view::npos) return false;
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
    const std::string_view port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
  }
  return std::none_of(rest.begin(), rest.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x21; });
}

bool parseHostPort(const std::string& v, std::string& host_out, std::uint16_t& port_out) {
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::uint64_t port = 0;
  if (!parseUnsigned(v.substr(colon + 1), 0, 65535, port)) return false;
  for (const char ch : host) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != ':' && ch != '-') {
      return false;
    }
  }
  if (host == "localhost") host = "127.0.0.1";
  host_out = host;
  port_out = static_cast<std::uint16_t>(port);
  return true;
}

bool loopbackHost(std::string_view host) {
  return host == "::1" || (host.starts_with("127.") && host.size() <= 15);
}

bool headerSecret(const std::string& v, std::size_t min_size) {
  constexpr std::size_t kMaxSecret = 200;
  if (v.size() < min_size || v.size() > kMaxSecret) return false;
  return std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 0x21 && ch <= 0x7e; });
}

}  // namespace emporium::config::values
