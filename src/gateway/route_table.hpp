#pragma once
// Which service owns each public path (docs/api.md), for the gateway
// (--target=gateway): a prefix of whole segments names the service; the
// longest matching prefix wins ("/api/v1/me/cart" is the cart's, the rest of
// "/api/v1/me" the users service's). Paths no prefix covers are answered 404
// by the gateway itself.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace emporium::gateway {

struct RouteRule {
  std::string_view prefix;   // "/api/v1/products": itself and everything below it
  std::string_view service;  // a --target name: "catalog"
};

/// Every rule, in no particular order.
std::span<const RouteRule> publicRoutes();

/// The service that owns `path` (raw, without the query), if any.
std::optional<std::string_view> ownerOf(std::string_view path);

/// The services the table names, sorted, each once.
std::vector<std::string_view> routedServices();

}  // namespace emporium::gateway
