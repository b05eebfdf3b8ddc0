#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emporium::http {

/// Content types used across the code base. Response::content_type must
/// point to storage that outlives the response, so use these or literals.
inline constexpr std::string_view kJson = "application/json";
inline constexpr std::string_view kProblemJson = "application/problem+json";
inline constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
inline constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

struct Response {
  int status = 200;
  std::string_view content_type = kJson;
  std::string body;
  /// Extra headers beyond Content-Type, Content-Length and X-Request-Id.
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(int status, std::string body) {
    return Response{status, kJson, std::move(body), {}};
  }
  static Response noContent() { return Response{204, kJson, {}, {}}; }
  Response& withHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace emporium::http
