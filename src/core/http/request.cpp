#include "core/http/request.hpp"

#include <strings.h>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>

#include "core/http/api_error.hpp"

namespace emporium::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Calls fn(name, raw_value) for each "name=value" pair of a query string.
template <class F>
void forEachQueryPair(std::string_view query, F&& fn) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    fn(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
}

}  // namespace

std::string_view methodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      return "OTHER";
  }
  return "OTHER";
}

Method parseMethod(std::string_view text) {
  if (text == "GET") return Method::kGet;
  if (text == "POST") return Method::kPost;
  if (text == "HEAD") return Method::kHead;
  if (text == "PUT") return Method::kPut;
  if (text == "PATCH") return Method::kPatch;
  if (text == "DELETE") return Method::kDelete;
  if (text == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

std::optional<std::string> percentDecode(std::string_view text, bool form_encoding) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hexValue(text[i + 1]);
      const int lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && form_encoding) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

std::string_view Request::pathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) return value;
  }
  return {};
}

std::optional<std::string> Request::queryParam(std::string_view name) const {
  std::optional<std::string> found;
  forEachQueryPair(query, [&](std::string_view key, std::string_view value) {
    if (found) return;
    if (percentDecode(key, true) == name)
      found = percentDecode(value, true).value_or(std::string(value));
  });
  return found;
}

std::vector<std::string> Request::queryParams(std::string_view name) const {
  std::vector<std::string> values;
  forEachQueryPair(query, [&](std::string_view key, std::string_view value) {
    if (percentDecode(key, true) == name) {
      values.push_back(percentDecode(value, true).value_or(std::string(value)));
    }
  });
  return values;
}

const Principal& Request::user() const {
  if (!principal) throw ApiError::unauthorized("sign in first: this needs a valid access token");
  return *principal;
}

void Request::setDeadline(Clock::time_point arrived, std::chrono::milliseconds timeout,
                          bool trust_budget_header) {
  deadline_ = arrived + timeout;
  deadline_is_callers_ = false;
  if (!trust_budget_header) return;
  const auto value = header(kBudgetHeader);
  std::uint64_t budget_ms = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), budget_ms);
  // Digits only (from_chars takes no sign or space for unsigned); a number
  // too large to hold is a budget beyond any timeout, so the cap applies.
  if (value.empty() || end != value.data() + value.size() || ec == std::errc::invalid_argument)
    return;
  if (ec == std::errc::result_out_of_range ||
      budget_ms >= static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count(), 0)))
    return;
  deadline_ = arrived + std::chrono::milliseconds(static_cast<std::int64_t>(budget_ms));
  deadline_is_callers_ = true;
}

std::string_view Request::bearerToken() const {
  const auto value = header("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() ||
      !equalsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  auto token = value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

}  // namespace emporium::http
