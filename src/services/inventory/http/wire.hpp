#pragma once
// The JSON both ends of inventory's internal routes read and write (issue 15,
// part 2): internal_routes.cpp answers in it and RemoteClient calls in it, so
// the two cannot drift apart. Arrays of levels and of reservation lines are
// the only shapes shared by several calls; the rest is one field each. The
// field readers and ShapeError are every service's (core/json/wire.hpp).

#include <rapidjson/document.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "services/inventory/client.hpp"

namespace emporium::inventory::wire {

/// The internal routes' prefix; each call is POST <prefix>/<name> except
/// GET <prefix>/count.
inline constexpr std::string_view kPrefix = "/internal/v1/inventory";

using json::wire::member;
using json::wire::readStrings;
using json::wire::ShapeError;
using json::wire::writeStrings;

/// [{"sku","on_hand","reserved"}, ...]
void writeLevels(json::Writer& out, std::span<const StockLevel> levels);
std::vector<StockLevel> readLevels(const rapidjson::Value& array, std::string_view field);

/// {"sku","on_hand","reserved"}
void writeLevel(json::Writer& out, const StockLevel& level);
StockLevel readLevel(const rapidjson::Value& object, std::string_view field);

/// [{"sku","quantity"}, ...]
void writeLines(json::Writer& out, std::span<const ReservationLine> lines);
std::vector<ReservationLine> readLines(const rapidjson::Value& array, std::string_view field);

/// "done", "below_reserved", "negative"; ShapeError for another name.
std::string_view setOnHandStatusName(SetOnHandStatus status);
SetOnHandStatus readSetOnHandStatus(std::string_view name, std::string_view field);

}  // namespace emporium::inventory::wire
