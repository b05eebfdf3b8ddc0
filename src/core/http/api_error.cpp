#include "core/http/api_error.hpp"

#include <algorithm>

#include "core/json/writer.hpp"

namespace emporium::http {

ApiError ApiError::badRequest(std::string detail, std::vector<FieldError> errors) {
  return ApiError(400, "bad-request", "Bad Request", std::move(detail), std::move(errors));
}

std::string invalidInputDetail(const std::vector<FieldError>& errors) {
  std::string detail = "invalid input: ";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) detail += "; ";
    // "field: message": messages are not all phrased to follow the name
    // ("category no category has the slug ..." read as one run-on).
    detail += errors[i].field + ": " + errors[i].message;
  }
  return detail;
}

ApiError ApiError::validation(std::vector<FieldError> errors) {
  std::string detail = invalidInputDetail(errors);
  return ApiError(422, "validation-error", "Invalid input", std::move(detail), std::move(errors));
}

ApiError ApiError::validation(std::string field, std::string message) {
  return validation(std::vector<FieldError>{{std::move(field), std::move(message)}});
}

ApiError ApiError::notFound(std::string detail) {
  return ApiError(404, "not-found", "Not Found", std::move(detail));
}

ApiError ApiError::conflict(std::string detail) {
  return ApiError(409, "conflict", "Conflict", std::move(detail));
}

ApiError ApiError::unauthorized(std::string detail) {
  ApiError e(401, "unauthorized", "Unauthorized", std::move(detail));
  e.headers().emplace_back("WWW-Authenticate", "Bearer");
  return e;
}

ApiError ApiError::forbidden(std::string detail) {
  return ApiError(403, "forbidden", "Forbidden", std::move(detail));
}

ApiError ApiError::tooManyRequests(std::chrono::milliseconds retry_after, const std::string& what) {
  constexpr std::int64_t kMaxSeconds = 86400;
  // Rounded up without adding first: retry_after may be milliseconds::max().
  const std::int64_t count = retry_after.count();
  const std::int64_t seconds =
      std::clamp<std::int64_t>(count / 1000 + (count % 1000 > 0 ? 1 : 0), 1, kMaxSeconds);
  ApiError e(429, "rate-limited", "Too Many Requests",
             what + "; retry in " + std::to_string(seconds) + " s");
  e.headers().emplace_back("Retry-After", std::to_string(seconds));
  return e;
}

std::string problemType(const std::string& slug) { return "https://emporium.dev/problems/" + slug; }

Response problemResponse(const ApiError& error, std::string_view instance,
                         std::string_view request_id) {
  json::Writer w;
  w.startObject();
  w.member("type", problemType(error.slug()));
  w.member("title", error.title());
  w.member("status", error.status());
  w.member("detail", error.detail());
  if (!instance.empty()) w.member("instance", instance);
  if (!request_id.empty()) w.member("request_id", request_id);
  if (!error.errors().empty()) {
    w.key("errors").startArray();
    for (const auto& fe : error.errors()) {
      w.startObject().member("field", fe.field).member("message", fe.message).endObject();
    }
    w.endArray();
  }
  w.endObject();
  std::string body = w.str();
  if (!error.extensionMembers().empty()) {
    body.pop_back();  // the closing brace: the members go inside the object
    body += ',';
    body += error.extensionMembers();
    body += '}';
  }
  Response res{error.status(), kProblemJson, std::move(body), error.headers()};
  return res;
}

}  // namespace emporium::http
