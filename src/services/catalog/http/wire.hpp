#pragma once
// The JSON both ends of the catalog's internal routes read and write:
// internal_routes.cpp answers in it and RemoteClient calls in it, so the two
// cannot drift apart.

#include <rapidjson/document.h>

#include <span>
#include <string_view>
#include <vector>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "services/catalog/client.hpp"

namespace emporium::catalog::wire {

/// The internal routes' prefix: POST <prefix>/lookup.
inline constexpr std::string_view kPrefix = "/internal/v1/catalog";

/// [{"sku","product_id","title","unit_price","currency","purchasable"}, ...]
void writeSkuInfos(json::Writer& out, std::span<const SkuInfo> infos);
std::vector<SkuInfo> readSkuInfos(const rapidjson::Value& array, std::string_view field);

}  // namespace emporium::catalog::wire
