#include "gateway/route_table.hpp"

#include <algorithm>
#include <array>

namespace emporium::gateway {
namespace {

// Keep in step with docs/api.md: a new public path under a prefix below is
// routed already; a new prefix needs a row (GatewayRoutes.EveryDocumentedPathHasAnOwner
// checks the docs against this table).
constexpr std::array kRules{
    RouteRule{"/api/v1", "catalog"},  // the API root: its links, answered by any service
    RouteRule{"/api/v1/auth", "users"},
    RouteRule{"/api/v1/me", "users"},
    RouteRule{"/api/v1/admin/users", "users"},
    RouteRule{"/api/v1/me/cart", "cart"},
    RouteRule{"/api/v1/carts", "cart"},
    RouteRule{"/api/v1/products", "catalog"},
    RouteRule{"/api/v1/categories", "catalog"},
    RouteRule{"/api/v1/search", "catalog"},
    RouteRule{"/api/v1/admin/products", "catalog"},
    RouteRule{"/api/v1/admin/categories", "catalog"},
    RouteRule{"/api/v1/admin/inventory", "inventory"},
    RouteRule{"/api/v1/orders", "orders"},
    RouteRule{"/api/v1/admin/orders", "orders"},
    RouteRule{"/api/v1/payments", "payments"},
    RouteRule{"/api/v1/admin/gift-cards", "payments"},
};

// True when `prefix` is `path` or a whole-segment prefix of it.
bool covers(std::string_view prefix, std::string_view path) {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

std::span<const RouteRule> publicRoutes() { return kRules; }

std::optional<std::string_view> ownerOf(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const RouteRule* best = nullptr;
  for (const RouteRule& rule : kRules) {
    if (!covers(rule.prefix, path)) continue;
    // "/api/v1" covers every API path but owns only itself.
    if (rule.prefix == "/api/v1" && path != rule.prefix) continue;
    if (best == nullptr || rule.prefix.size() > best->prefix.size()) best = &rule;
  }
  if (best == nullptr) return std::nullopt;
  return best->service;
}

std::vector<std::string_view> routedServices() {
  std::vector<std::string_view> names;
  names.reserve(kRules.size());
  for (const RouteRule& rule : kRules) names.push_back(rule.service);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace emporium::gateway
