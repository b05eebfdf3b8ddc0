#pragma once
// The one collector of a request's field problems: every route gathers all
// of them before answering, so a client fixes a body in one go, and every
// problem document names its fields the same way.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/http/api_error.hpp"

namespace emporium::http {

class FieldErrors {
 public:
  void fail(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  /// Records problem under field when there is one.
  void check(std::string field, std::optional<std::string> problem) {
    if (problem) fail(std::move(field), std::move(*problem));
  }
  /// Runs a json::Body accessor; its 422 (type or presence) becomes one of
  /// ours and the accessor's result is value-initialised.
  template <class F>
  auto read(F&& accessor) -> decltype(accessor()) {
    try {
      return accessor();
    } catch (const ApiError& e) {
      if (e.status() != 422) throw;
      errors_.insert(errors_.end(), e.errors().begin(), e.errors().end());
      return {};
    }
  }
  bool any() const { return !errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }

  /// 422 validation-failed naming every field, when there is a problem.
  void throwIfAny() const {
    if (any()) throw ApiError::validation(errors_);
  }
  /// 400 naming every field, "invalid input: <field>: <message>; ...", when
  /// there is a problem (for APIs that answer malformed input with 400).
  void throwBadRequestIfAny() const {
    if (any()) throw ApiError::badRequest(invalidInputDetail(errors_), errors_);
  }

 private:
  std::vector<FieldError> errors_;
};

}  // namespace emporium::http
