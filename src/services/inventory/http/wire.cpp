#include "services/inventory/http/wire.hpp"

#include <string>

namespace emporium::inventory::wire {
namespace {

std::string at(std::string_view field, rapidjson::SizeType index) {
  return std::string(field) + "[" + std::to_string(index) + "]";
}

const rapidjson::Value& requireArray(const rapidjson::Value& value, std::string_view field) {
  if (!value.IsArray()) throw ShapeError(std::string(field), "must be an array");
  return value;
}

std::string stringOf(const rapidjson::Value& object, std::string_view name,
                     std::string_view field) {
  const auto& value = member(object, name);
  if (!value.IsString())
    throw ShapeError(std::string(field) + "." + std::string(name), "must be a string");
  return {value.GetString(), value.GetStringLength()};
}

std::int64_t intOf(const rapidjson::Value& object, std::string_view name, std::string_view field) {
  const auto& value = member(object, name);
  if (!value.IsInt64()) {
    throw ShapeError(std::string(field) + "." + std::string(name), "must be a whole number");
  }
  return value.GetInt64();
}

}  // namespace

const rapidjson::Value& member(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) throw ShapeError(std::string(name), "is missing: not an object");
  const auto found = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  if (found == object.MemberEnd()) throw ShapeError(std::string(name), "is missing");
  return found->value;
}

void writeLevel(json::Writer& out, const StockLevel& level) {
  out.startObject()
      .member("sku", level.sku)
      .member("on_hand", level.on_hand)
      .member("reserved", level.reserved)
      .endObject();
}

StockLevel readLevel(const rapidjson::Value& object, std::string_view field) {
  return StockLevel{stringOf(object, "sku", field), intOf(object, "on_hand", field),
                    intOf(object, "reserved", field)};
}

void writeLevels(json::Writer& out, std::span<const StockLevel> levels) {
  out.startArray();
  for (const auto& level : levels) writeLevel(out, level);
  out.endArray();
}

std::vector<StockLevel> readLevels(const rapidjson::Value& array, std::string_view field) {
  std::vector<StockLevel> levels;
  const auto size = requireArray(array, field).Size();
  for (rapidjson::SizeType i = 0; i < size; ++i)
    levels.push_back(readLevel(array[i], at(field, i)));
  return levels;
}

void writeLines(json::Writer& out, std::span<const ReservationLine> lines) {
  out.startArray();
  for (const auto& line : lines) {
    out.startObject().member("sku", line.sku).member("quantity", line.quantity).endObject();
  }
  out.endArray();
}

std::vector<ReservationLine> readLines(const rapidjson::Value& array, std::string_view field) {
  std::vector<ReservationLine> lines;
  const auto size = requireArray(array, field).Size();
  for (rapidjson::SizeType i = 0; i < size; ++i) {
    const std::string where = at(field, i);
    lines.push_back(
        ReservationLine{stringOf(array[i], "sku", where), intOf(array[i], "quantity", where)});
  }
  return lines;
}

void writeStrings(json::Writer& out, std::span<const std::string> strings) {
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

std::string_view setOnHandStatusName(SetOnHandStatus status) {
  switch (status) {
    case SetOnHandStatus::kDone:
      return "done";
    case SetOnHandStatus::kBelowReserved:
      return "below_reserved";
    case SetOnHandStatus::kNegative:
      return "negative";
  }
  return "done";
}

SetOnHandStatus readSetOnHandStatus(std::string_view name, std::string_view field) {
  if (name == "done") return SetOnHandStatus::kDone;
  if (name == "below_reserved") return SetOnHandStatus::kBelowReserved;
  if (name == "negative") return SetOnHandStatus::kNegative;
  throw ShapeError(std::string(field), "is not a known status");
}

}  // namespace emporium::inventory::wire
