#pragma once
// Maps method + path to a handler. Patterns are literal segments and
// "{name}" parameters: "/api/v1/products/{id}/reviews", and may end with
// "{name...}", which takes the rest of the path (one segment or more: the
// gateway's routes). Literal segments win over parameters, parameters over a
// rest; a path that exists under other methods gives 405 + Allow.

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/http/auth.hpp"
#include "core/http/request.hpp"
#include "core/http/response.hpp"

namespace emporium::http {

using Handler = std::function<Response(Request&)>;
/// Answers from memory or declines (nullopt); see RouteOptions::fast_path.
using FastPath = std::function<std::optional<Response>(Request&)>;

/// Where a handler runs. Blocking handlers (SQL, network calls to other
/// servers) run on the blocking pool so they never stall an event loop.
/// kBlockingAside handlers run on a second, small pool: for routes that
/// blocking handlers of this very process call over HTTP (the payment
/// sandbox mounted in the all-in-one shop), which must never queue behind
/// the callers that wait for them.
enum class Execution : std::uint8_t { kInline, kBlocking, kBlockingAside };

struct RouteOptions {
  Execution execution = Execution::kBlocking;
  Access access = Access::kPublic;
  /// Counted against the general per-client request limit (ops routes are not).
  bool rate_limited = true;
  /// Tried on the event loop before a blocking handler: a response it
  /// returns is sent at once, nullopt hands the request to the handler on
  /// the blocking pool. For cache hits, which cost less than the hop to the
  /// pool. It must not block, runs unauthenticated, is counted against the
  /// request limit like the handler (see tryFastPath), and whatever it
  /// throws only means "declined".
  FastPath fast_path;
};

struct Route {
  Method method;
  std::string pattern;
  Handler handler;
  RouteOptions options;
  std::size_t index = 0;  // dense, for per-route metrics arrays
};

struct RouteMatch {
  const Route* route = nullptr;  // null: not found, or wrong method when allow is set
  std::vector<std::pair<std::string_view, std::string>> params;
  std::string allow;  // e.g. "GET, HEAD, POST" when the path exists under other methods
};

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  /// Registers a route; throws std::invalid_argument on a malformed pattern
  /// or a duplicate method + pattern.
  void add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});

  /// HEAD falls back to GET. path is the raw (undecoded) request path.
  RouteMatch match(Method method, std::string_view path) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  static constexpr std::size_t kMethodCount = 8;
  // Transparent hashing: lookups by string_view allocate nothing.
  struct SegmentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>, SegmentHash, std::equal_to<>> literals;
    std::unique_ptr<Node> param;
    std::string param_name;
    /// "{name...}": the rest of the path, one segment or more (a proxy's routes).
    std::unique_ptr<Node> rest;
    std::string rest_name;
    std::array<const Route*, kMethodCount> by_method{};
  };
  const Node* find(const Node& node, std::string_view rest,
                   std::vector<std::pair<std::string_view, std::string_view>>& params) const;

  std::unique_ptr<Node> root_;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace emporium::http
