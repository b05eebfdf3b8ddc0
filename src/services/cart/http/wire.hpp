#pragma once
// The JSON both ends of the cart's internal routes read and write:
// internal_routes.cpp answers in it and RemoteClient calls in it, so the two
// cannot drift apart.

#include <rapidjson/document.h>

#include <span>
#include <string_view>
#include <vector>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "services/cart/client.hpp"

namespace emporium::cart::wire {

/// The internal routes' prefix: POST <prefix>/lines and <prefix>/remove-lines.
inline constexpr std::string_view kPrefix = "/internal/v1/cart";

/// [{"sku","quantity"}, ...]
void writeLines(json::Writer& out, std::span<const CartLine> lines);
std::vector<CartLine> readLines(const rapidjson::Value& array, std::string_view field);

}  // namespace emporium::cart::wire
