#pragma once
// A parsed HTTP request as handlers see it: plain views into the connection's
// buffers, valid for the duration of the handler call. No transport types.

#include <chrono>
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

/// Internal header: the milliseconds a trusted caller (the gateway, another
/// Emporium service) will still wait for this answer, as a non-negative
/// integer. Honoured only by a server told to trust it; see Request::deadline().
inline constexpr std::string_view kBudgetHeader = "X-Emporium-Budget-Ms";

/// On a 503: the service is up, and refuses because something it depends on
/// (named as the value: another service, the card provider) is not
/// answering. A caller's circuit breaker for this service must not count it:
/// the service's other routes still work. A 503 without it (its database is
/// down or its pool exhausted) is the service failing.
inline constexpr std::string_view kUnavailableDependencyHeader =
    "X-Emporium-Unavailable-Dependency";

struct Header {
  std::string_view name;
  std::string_view value;
};

class Request {
 public:
  using Clock = std::chrono::steady_clock;

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

  /// When the answer stops being wanted; what handlers pass on to the
  /// clients they call. Clock::time_point::max() until setDeadline().
  Clock::time_point deadline() const { return deadline_; }
  /// True when deadline() is the trusted caller's budget, sooner than the
  /// server's own timeout: only then may dispatch refuse a spent request.
  bool deadlineIsTheCallers() const { return deadline_is_callers_; }
  /// Sets deadline() to arrived + timeout (the server's own limit), or
  /// sooner when trust_budget_header and kBudgetHeader carries a
  /// non-negative integer of milliseconds. A malformed value is ignored,
  /// never an error: the header is a hint between our own services.
  void setDeadline(Clock::time_point arrived, std::chrono::milliseconds timeout,
                   bool trust_budget_header);

 private:
  Clock::time_point deadline_ = Clock::time_point::max();
  bool deadline_is_callers_ = false;
};

/// Decodes %XX escapes (and '+' as space when form_encoding); nullopt when an
/// escape is malformed.
std::optional<std::string> percentDecode(std::string_view text, bool form_encoding);

}  // namespace emporium::http
