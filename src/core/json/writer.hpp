#pragma once
// A thin, chainable JSON writer over RapidJSON (escaping, number formatting).

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json/utf8.hpp"

namespace emporium::json {

class Writer {
 public:
  Writer() : writer_(buffer_) {}

  Writer& startObject() {
    writer_.StartObject();
    return *this;
  }
  Writer& endObject() {
    writer_.EndObject();
    return *this;
  }
  Writer& startArray() {
    writer_.StartArray();
    return *this;
  }
  Writer& endArray() {
    writer_.EndArray();
    return *this;
  }
  /// Writes a member name. Names come from code, never from clients.
  Writer& key(std::string_view k) {
    writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  /// Writes a string; ill-formed UTF-8 (client bytes) is replaced, never emitted.
  Writer& string(std::string_view v) {
    if (isValidUtf8(v)) {
      writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    } else {
      const std::string clean = sanitizeUtf8(v);
      writer_.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
    }
    return *this;
  }
  Writer& value(std::string_view v) { return string(v); }
  Writer& value(const char* v) { return string(v); }
  Writer& value(const std::string& v) { return string(v); }
  Writer& value(std::int64_t v) {
    writer_.Int64(v);
    return *this;
  }
  Writer& value(int v) {
    writer_.Int(v);
    return *this;
  }
  Writer& value(std::uint64_t v) {
    writer_.Uint64(v);
    return *this;
  }
  Writer& value(double v) {
    writer_.Double(v);
    return *this;
  }
  Writer& value(bool v) {
    writer_.Bool(v);
    return *this;
  }
  Writer& null() {
    writer_.Null();
    return *this;
  }
  /// Inserts an already-serialized JSON value verbatim.
  Writer& raw(std::string_view json) {
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
  }
  template <class T>
  Writer& member(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  std::string_view view() const { return {buffer_.GetString(), buffer_.GetSize()}; }
  std::string str() const { return std::string(view()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace emporium::json
