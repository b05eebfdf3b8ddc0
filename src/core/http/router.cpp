#include "core/http/router.hpp"

#include <stdexcept>

#include "core/json/utf8.hpp"

namespace emporium::http {
namespace {

std::size_t methodIndex(Method m) { return static_cast<std::size_t>(m); }

// Splits off the first segment of "a/b/c" -> ("a", "b/c").
std::pair<std::string_view, std::string_view> splitFirst(std::string_view path) {
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return {path, {}};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string_view trimSlashes(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path;
}

}  // namespace

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

void Router::add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
  if ((options.execution == Execution::kInline || options.fast_path) &&
      options.access != Access::kPublic) {
    // Token checks may reach the database; inline handlers run on the event loop.
    throw std::invalid_argument("inline routes and fast paths must be public: " +
                                std::string(pattern));
  }
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  Node* node = root_.get();
  std::string_view rest = trimSlashes(pattern);
  while (!rest.empty()) {
    auto [segment, tail] = splitFirst(rest);
    rest = tail;
    if (segment.empty()) throw std::invalid_argument("empty segment in " + std::string(pattern));
    if (segment.size() > 5 && segment.front() == '{' && segment.ends_with("...}")) {
      // "{name...}" takes the rest of the path; nothing may follow it.
      if (!rest.empty()) {
        throw std::invalid_argument("{name...} must end the pattern: " + std::string(pattern));
      }
      const std::string name(segment.substr(1, segment.size() - 5));
      if (!node->rest) {
        node->rest = std::make_unique<Node>();
        node->rest_name = name;
      } else if (node->rest_name != name) {
        throw std::invalid_argument("parameter {" + name + "...} conflicts with {" +
                                    node->rest_name + "...} in " + std::string(pattern));
      }
      node = node->rest.get();
      break;
    }
    if (segment.front() == '{') {
      if (segment.size() < 3 || segment.back() != '}') {
        throw std::invalid_argument("malformed parameter in " + std::string(pattern));
      }
      const std::string name(segment.substr(1, segment.size() - 2));
      if (!node->param) {
        node->param = std::make_unique<Node>();
        node->param->param_name = name;
      } else if (node->param->param_name != name) {
        throw std::invalid_argument("parameter {" + name + "} conflicts with {" +
                                    node->param->param_name + "} in " + std::string(pattern));
      }
      node = node->param.get();
    } else {
      auto& child = node->literals[std::string(segment)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
  }
  auto& slot = node->by_method[methodIndex(method)];
  if (slot != nullptr) {
    throw std::invalid_argument("duplicate route " + std::string(methodName(method)) + " " +
                                std::string(pattern));
  }
  auto route = std::make_unique<Route>(
      Route{method, std::string(pattern), std::move(handler), std::move(options), routes_.size()});
  slot = route.get();
  routes_.push_back(std::move(route));
}

const Router::Node* Router::find(
    const Node& node, std::string_view rest,
    std::vector<std::pair<std::string_view, std::string_view>>& params) const {
  if (rest.empty()) return &node;
  auto [segment, tail] = splitFirst(rest);
  if (segment.empty()) return nullptr;  // "//" in a path never matches
  if (const auto it = node.literals.find(segment); it != node.literals.end()) {
    if (const Node* found = find(*it->second, tail, params)) return found;
  }
  if (node.param) {
    params.emplace_back(node.param->param_name, segment);
    if (const Node* found = find(*node.param, tail, params)) return found;
    params.pop_back();
  }
  if (node.rest) {
    // Literals and parameters won; the rest of the path is the last resort.
    params.emplace_back(node.rest_name, rest);
    return node.rest.get();
  }
  return nullptr;
}

RouteMatch Router::match(Method method, std::string_view path) const {
  RouteMatch result;
  std::vector<std::pair<std::string_view, std::string_view>> raw_params;
  const Node* node = find(*root_, trimSlashes(path), raw_params);
  if (node == nullptr) return result;

  const Route* route = node->by_method[methodIndex(method)];
  if (route == nullptr && method == Method::kHead)
    route = node->by_method[methodIndex(Method::kGet)];
  if (route == nullptr) {
    for (std::size_t i = 0; i < kMethodCount; ++i) {
      if (node->by_method[i] == nullptr) continue;
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += methodName(static_cast<Method>(i));
      if (static_cast<Method>(i) == Method::kGet) result.allow += ", HEAD";
    }
    return result;
  }
  result.params.reserve(raw_params.size());
  for (const auto& [name, raw] : raw_params) {
    auto decoded = percentDecode(raw, false);
    // A malformed escape, NUL or ill-formed UTF-8 names no resource on any backend.
    if (!decoded || decoded->find('\0') != std::string::npos || !json::isValidUtf8(*decoded)) {
      return RouteMatch{};
    }
    result.params.emplace_back(name, std::move(*decoded));
  }
  result.route = route;
  return result;
}

}  // namespace emporium::http
