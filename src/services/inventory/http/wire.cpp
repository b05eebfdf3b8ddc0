#include "services/inventory/http/wire.hpp"

#include <string>

namespace emporium::inventory::wire {
using json::wire::at;
using json::wire::intOf;
using json::wire::requireArray;
using json::wire::stringOf;

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
