#pragma once
// A parsed HTTP request as handlers see it: plain views into the connection's
// buffers, valid for the duration of the handler call. No transport types.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/auth.hpp"
#include "core/log/logger.hpp"

namespace emporium::http {

enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view methodName(Method method);
Method parseMethod(std::string_view text);

struct Header {
  std::string_view name;
  std::string_view value;
};

class Request {
 public:
  Method method = Method::kGet;
  std::string_view target;  // as sent: path plus optional "?query"
  std::string_view path;    // target up to '?', not decoded
  std::string_view query;   // after '?', not decoded
  std::string_view body;
  std::string_view request_id;  // accepted from X-Request-Id or generated
  std::string_view client_ip;
  std::vector<Header> headers;
  /// Path parameters captured by the router, values percent-decoded.
  std::vector<std::pair<std::string_view, std::string>> path_params;
  const log::Logger* logger = nullptr;
  /// Set by the dispatcher when the request carries a valid bearer token.
  std::optional<Principal> principal;
  /// Set once the general request limit has counted this request, so a fast
  /// path that counted it and then declined does not make it pay twice.
  bool rate_counted = false;

  /// The signed-in caller; throws ApiError 401 when there is none (routes
  /// declared Access::kUser or kAdmin never see that).
  const Principal& user() const;
  /// The token after "Bearer " in Authorization, or empty.
  std::string_view bearerToken() const;

  /// The first header of that name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
  /// A path parameter's decoded value ("" when the route has no such name).
  std::string_view pathParam(std::string_view name) const;
  /// The first query parameter of that name, percent-decoded (a malformed
  /// escape leaves the value as sent, for the caller's validation to refuse).
  std::optional<std::string> queryParam(std::string_view name) const;
  /// Every value of a repeatable query parameter, percent-decoded.
  std::vector<std::string> queryParams(std::string_view name) const;
  /// A logger that stamps every line with this request's id.
  log::RequestLogger log() const { return log::RequestLogger(logger, request_id); }
};

/// Decodes %XX escapes (and '+' as space when form_encoding); nullopt when an
/// escape is malformed.
std::optional<std::string> percentDecode(std::string_view text, bool form_encoding);

}  // namespace emporium::http
