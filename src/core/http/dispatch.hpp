#pragma once
// Calls a handler and turns whatever it throws into a response. This is the
// one place exceptions from handlers are caught (transport-independent, so
// tests call it directly).

#include <exception>
#include <functional>
#include <optional>

#include "core/http/api_error.hpp"
#include "core/http/request.hpp"
#include "core/http/response.hpp"
#include "core/http/router.hpp"

namespace emporium::http {

/// Maps exceptions from lower layers (e.g. "database unavailable") to an
/// ApiError; returns nullopt for exceptions it does not know, which become 500.
using ErrorTranslator = std::function<std::optional<ApiError>(const std::exception&)>;

/// What runs around every handler: authentication and the route's access
/// check, the rate limit, and the mapping of lower-layer exceptions.
struct DispatchContext {
  ErrorTranslator translate;
  const Authenticator* authenticator = nullptr;  // null: every token is rejected
  const RequestLimiter* limiter = nullptr;       // null: no general limit
};

/// Authenticates, checks access and limits, runs route.handler(req); never throws.
/// A request whose caller's budget is already spent (Request::deadlineIsTheCallers())
/// is answered 503 budget-spent without running anything.
Response invokeRoute(const Route& route, Request& req, const DispatchContext& ctx) noexcept;

/// The route's fast path, if it has one and it answers; never throws. Cached
/// answers count against ctx.limiter like any other (a 429 when over it);
/// with a limiter that may block, the fast path declines so the request is
/// counted on the blocking pool instead.
std::optional<Response> tryFastPath(const Route& route, Request& req,
                                    const DispatchContext& ctx = {}) noexcept;

/// The response for a request no route matched (404, or 405 with Allow).
Response unmatchedResponse(const RouteMatch& match, const Request& req);

/// A problem response built from an ApiError for this request.
Response errorResponse(const ApiError& error, const Request& req);

}  // namespace emporium::http
