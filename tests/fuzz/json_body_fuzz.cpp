// libFuzzer target: arbitrary bytes as a JSON request body through the
// validating accessors handlers use. Errors must be ApiErrors (4xx) whose
// problem documents are valid JSON; nothing else may escape.

#include <rapidjson/document.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/http/api_error.hpp"
#include "core/json/body.hpp"
#include "core/json/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace emporium;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto check = [](const http::ApiError& e) {
    if (e.status() < 400 || e.status() > 499) std::abort();
    const auto body = http::problemResponse(e, "/fuzz", "fuzz").body;
    rapidjson::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
    if (d.HasParseError() || !json::isValidUtf8(body)) std::abort();
  };
  try {
    const auto body = json::Body::parseText(text);
    for (const char* field : {"email", "password", "name", "sku", "a", ""}) {
      try {
        (void)body.optionalString(field);
      } catch (const http::ApiError& e) {
        check(e);
      }
      try {
        (void)body.optionalInt(field);
      } catch (const http::ApiError& e) {
        check(e);
      }
      try {
        (void)body.optionalBool(field);
      } catch (const http::ApiError& e) {
        check(e);
      }
      try {
        const auto nested = body.requireObject(field);
        (void)nested.optionalString("city");
      } catch (const http::ApiError& e) {
        check(e);
      }
    }
  } catch (const http::ApiError& e) {
    check(e);
  }
  return 0;
}
