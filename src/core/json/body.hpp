#pragma once
// Decoding request bodies: malformed JSON is a 400, a missing or mistyped
// field a 422 naming the field. Unknown fields are ignored (the contract).

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/http/request.hpp"

namespace emporium::json {

/// A parsed JSON object body with typed, validating accessors. Field names
/// in errors are JSON-pointer-like paths ("address.city").
class Body {
 public:
  /// Parses req.body; throws ApiError 415 for a non-JSON content type and
  /// 400 for malformed JSON or a top-level value that is not an object.
  static Body parse(const http::Request& req);
  /// Parses text as a JSON object (same errors as parse()).
  static Body parseText(std::string_view text);

  bool has(std::string_view field) const;
  std::string requireString(std::string_view field) const;
  std::optional<std::string> optionalString(std::string_view field) const;
  std::int64_t requireInt(std::string_view field) const;
  std::optional<std::int64_t> optionalInt(std::string_view field) const;
  bool requireBool(std::string_view field) const;
  std::optional<bool> optionalBool(std::string_view field) const;
  /// A nested object, for fields such as "shipping_address".
  Body requireObject(std::string_view field) const;
  const rapidjson::Value& root() const { return *value_; }

 private:
  Body(std::shared_ptr<rapidjson::Document> doc, const rapidjson::Value* value, std::string prefix)
      : doc_(std::move(doc)), value_(value), prefix_(std::move(prefix)) {}
  const rapidjson::Value* find(std::string_view field) const;
  std::string path(std::string_view field) const;

  std::shared_ptr<rapidjson::Document> doc_;
  const rapidjson::Value* value_;
  std::string prefix_;
};

}  // namespace emporium::json
