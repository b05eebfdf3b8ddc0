#pragma once
// The error a handler raises for anything the client should be told about.
// One top-level catch in the server renders it as application/problem+json
// (RFC 9457); handlers never format error bodies themselves.

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/http/response.hpp"

namespace emporium::http {

/// One invalid input: the field's name (JSON path or query parameter) and why.
struct FieldError {
  std::string field;
  std::string message;
};

/// "invalid input: <field>: <message>; ...": the detail of a problem that
/// names fields (422 validation errors, and APIs that answer such input with 400).
std::string invalidInputDetail(const std::vector<FieldError>& errors);

class ApiError : public std::runtime_error {
 public:
  /// slug names the problem type (rendered as a URI); title is short and
  /// stable per type, detail says what happened this time.
  ApiError(int status, std::string slug, std::string title, std::string detail,
           std::vector<FieldError> errors = {})
      : std::runtime_error(detail),
        status_(status),
        slug_(std::move(slug)),
        title_(std::move(title)),
        detail_(std::move(detail)),
        errors_(std::move(errors)) {}

  int status() const noexcept { return status_; }
  const std::string& slug() const noexcept { return slug_; }
  const std::string& title() const noexcept { return title_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::vector<FieldError>& errors() const noexcept { return errors_; }
  /// Headers to send with the problem (e.g. Allow, Retry-After).
  std::vector<std::pair<std::string, std::string>>& headers() noexcept { return headers_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }
  /// Extension members (RFC 9457 section 3.2) as raw JSON members, e.g.
  /// `"skus":["A-1","B-2"]`, written after the standard ones.
  std::string& extensionMembers() noexcept { return extension_members_; }
  const std::string& extensionMembers() const noexcept { return extension_members_; }

  static ApiError badRequest(std::string detail, std::vector<FieldError> errors = {});
  static ApiError validation(std::vector<FieldError> errors);
  static ApiError validation(std::string field, std::string message);
  static ApiError notFound(std::string detail);
  static ApiError conflict(std::string detail);
  static ApiError unauthorized(std::string detail);
  static ApiError forbidden(std::string detail);
  /// 429 with Retry-After in whole seconds (at least 1, at most a day).
  static ApiError tooManyRequests(std::chrono::milliseconds retry_after, const std::string& what);

 private:
  int status_;
  std::string slug_;
  std::string title_;
  std::string detail_;
  std::vector<FieldError> errors_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string extension_members_;
};

/// The problem type URI for a slug.
std::string problemType(const std::string& slug);

/// Renders an ApiError as an application/problem+json response.
/// request_id and instance (the request path) are added as members.
Response problemResponse(const ApiError& error, std::string_view instance,
                         std::string_view request_id);

}  // namespace emporium::http
