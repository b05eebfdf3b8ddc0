#include "core/json/wire.hpp"

namespace emporium::json::wire {
namespace {

std::string path(std::string_view field, std::string_view name) {
  if (field.empty()) return std::string(name);
  std::string out(field);
  out.append(".").append(name);
  return out;
}

}  // namespace

std::string at(std::string_view field, rapidjson::SizeType index) {
  return std::string(field) + "[" + std::to_string(index) + "]";
}

const rapidjson::Value& member(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) throw ShapeError(std::string(name), "is missing: not an object");
  const auto found = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  if (found == object.MemberEnd()) throw ShapeError(std::string(name), "is missing");
  return found->value;
}

const rapidjson::Value& requireArray(const rapidjson::Value& value, std::string_view field) {
  if (!value.IsArray()) throw ShapeError(std::string(field), "must be an array");
  return value;
}

std::string stringOf(const rapidjson::Value& object, std::string_view name,
                     std::string_view field) {
  const auto& value = member(object, name);
  if (!value.IsString()) throw ShapeError(path(field, name), "must be a string");
  return {value.GetString(), value.GetStringLength()};
}

std::int64_t intOf(const rapidjson::Value& object, std::string_view name, std::string_view field) {
  const auto& value = member(object, name);
  if (!value.IsInt64()) throw ShapeError(path(field, name), "must be a whole number");
  return value.GetInt64();
}

bool boolOf(const rapidjson::Value& object, std::string_view name, std::string_view field) {
  const auto& value = member(object, name);
  if (!value.IsBool()) throw ShapeError(path(field, name), "must be true or false");
  return value.GetBool();
}

std::optional<std::string> optionalStringOf(const rapidjson::Value& object, std::string_view name,
                                            std::string_view field) {
  if (!object.IsObject()) return std::nullopt;
  const auto found = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  if (found == object.MemberEnd() || found->value.IsNull()) return std::nullopt;
  return stringOf(object, name, field);
}

std::string objectWith(std::string_view key, std::string_view value) {
  Writer out;
  out.startObject().member(key, value).endObject();
  return out.str();
}

void writeStrings(Writer& out, std::span<const std::string> strings) {
  out.startArray();
  for (const auto& s : strings) out.value(s);
  out.endArray();
}

std::vector<std::string> readStrings(const rapidjson::Value& array, std::string_view field) {
  std::vector<std::string> strings;
  const auto size = requireArray(array, field).Size();
  for (rapidjson::SizeType i = 0; i < size; ++i) {
    if (!array[i].IsString()) throw ShapeError(at(field, i), "must be a string");
    strings.emplace_back(array[i].GetString(), array[i].GetStringLength());
  }
  return strings;
}

}  // namespace emporium::json::wire
