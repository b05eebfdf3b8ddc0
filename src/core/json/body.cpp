#include "core/json/body.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <memory>

#include "core/http/api_error.hpp"

namespace emporium::json {
namespace {

bool isJsonContentType(std::string_view content_type) {
  if (content_type.empty()) return true;  // a body without a type is read as JSON
  const auto semi = content_type.find(';');
  std::string media(content_type.substr(0, semi));
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media == "application/json" || (media.size() > 5 && media.ends_with("+json"));
}

constexpr std::size_t kMaxNestingDepth = 32;

std::size_t nestingDepth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

http::ApiError typeError(const std::string& path, std::string_view expected) {
  return http::ApiError::validation(path, "must be " + std::string(expected));
}

}  // namespace

Body Body::parse(const http::Request& req) {
  if (!isJsonContentType(req.header("Content-Type"))) {
    throw http::ApiError(415, "unsupported-media-type", "Unsupported Media Type",
                         "the request body must be JSON, sent with Content-Type: application/json");
  }
  return parseText(req.body);
}

Body Body::parseText(std::string_view text) {
  // RapidJSON's parser and its value destructor both recurse per nesting
  // level: a body of a million '[' would overflow the stack. No request body
  // needs more than a few levels, so deeper ones are refused up front.
  if (nestingDepth(text) > kMaxNestingDepth) {
    throw http::ApiError::badRequest("JSON nested deeper than " + std::to_string(kMaxNestingDepth) +
                                     " levels");
  }
  auto doc = std::make_shared<rapidjson::Document>();
  // kParseStopWhenDoneFlag is not set: trailing garbage after the value is an error.
  doc->Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(text.data(),
                                                                                     text.size());
  if (doc->HasParseError()) {
    throw http::ApiError::badRequest(std::string("malformed JSON at offset ") +
                                     std::to_string(doc->GetErrorOffset()) + ": " +
                                     rapidjson::GetParseError_En(doc->GetParseError()));
  }
  if (!doc->IsObject()) throw http::ApiError::badRequest("the request body must be a JSON object");
  const rapidjson::Value* root = doc.get();
  return Body(std::move(doc), root, "");
}

const rapidjson::Value* Body::find(std::string_view field) const {
  const auto it = value_->FindMember(
      rapidjson::Value(field.data(), static_cast<rapidjson::SizeType>(field.size())));
  if (it == value_->MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string Body::path(std::string_view field) const {
  return prefix_.empty() ? std::string(field) : prefix_ + "." + std::string(field);
}

bool Body::has(std::string_view field) const { return find(field) != nullptr; }

std::optional<std::string> Body::optionalString(std::string_view field) const {
  const auto* v = find(field);
  if (v == nullptr) return std::nullopt;
  if (!v->IsString()) throw typeError(path(field), "a string");
  std::string value(v->GetString(), v->GetStringLength());
  // \u0000 is valid JSON but no text field has a use for it, and PostgreSQL
  // cannot store it: refuse it here, the same on every backend.
  if (value.find('\0') != std::string::npos) {
    throw http::ApiError::validation(path(field), "must not contain NUL characters");
  }
  return value;
}

std::string Body::requireString(std::string_view field) const {
  auto v = optionalString(field);
  if (!v) throw http::ApiError::validation(path(field), "is required");
  return std::move(*v);
}

std::optional<std::int64_t> Body::optionalInt(std::string_view field) const {
  const auto* v = find(field);
  if (v == nullptr) return std::nullopt;
  if (!v->IsInt64()) throw typeError(path(field), "an integer");
  return v->GetInt64();
}

std::int64_t Body::requireInt(std::string_view field) const {
  auto v = optionalInt(field);
  if (!v) throw http::ApiError::validation(path(field), "is required");
  return *v;
}

std::optional<bool> Body::optionalBool(std::string_view field) const {
  const auto* v = find(field);
  if (v == nullptr) return std::nullopt;
  if (!v->IsBool()) throw typeError(path(field), "true or false");
  return v->GetBool();
}

bool Body::requireBool(std::string_view field) const {
  auto v = optionalBool(field);
  if (!v) throw http::ApiError::validation(path(field), "is required");
  return *v;
}

Body Body::requireObject(std::string_view field) const {
  const auto* v = find(field);
  if (v == nullptr) throw http::ApiError::validation(path(field), "is required");
  if (!v->IsObject()) throw typeError(path(field), "an object");
  return Body(doc_, v, path(field));
}

}  // namespace emporium::json
