#include "core/http/dispatch.hpp"

#include "core/http/request_scope.hpp"

namespace emporium::http {

Response errorResponse(const ApiError& error, const Request& req) {
  return problemResponse(error, req.path, req.request_id);
}

namespace {

// A trusted caller that has already given up gets an answer at once: running
// the handler would only spend work (and downstream budget) nobody waits for.
std::optional<Response> refuseSpentBudget(const Request& req) {
  if (!req.deadlineIsTheCallers() || Request::Clock::now() < req.deadline()) return std::nullopt;
  return errorResponse(ApiError(503, "budget-spent", "Budget Spent",
                                "the caller's budget (" + std::string(kBudgetHeader) +
                                    ") was spent before this request could be handled"),
                       req);
}

// Inline routes run on the event loop and are public by construction (the
// router refuses anything else), so they never pay for a token check. On
// other public routes a token is optional and an invalid one is ignored:
// clients that attach a stale token to every call must still reach
// /auth/refresh and /auth/login.
void authenticate(const Route& route, Request& req, const DispatchContext& ctx) {
  if (route.options.execution == Execution::kInline) return;
  const auto token = req.bearerToken();
  if (!token.empty() && ctx.authenticator != nullptr)
    req.principal = ctx.authenticator->verify(token);
  if (route.options.access == Access::kPublic) return;
  if (!token.empty() && !req.principal) {
    throw ApiError::unauthorized("the access token is invalid or expired");
  }
  if (token.empty() && !req.header("Authorization").empty()) {
    throw ApiError::unauthorized("use an Authorization: Bearer <access_token> header");
  }
  if (!req.principal)
    throw ApiError::unauthorized("sign in first: this needs a valid access token");
  if (route.options.access == Access::kAdmin && !req.principal->isAdmin()) {
    throw ApiError::forbidden("this needs the admin role");
  }
}

}  // namespace

Response invokeRoute(const Route& route, Request& req, const DispatchContext& ctx) noexcept {
  const auto& translate = ctx.translate;
  try {
    try {
      if (auto spent = refuseSpentBudget(req)) return std::move(*spent);
      // Inline routes answer from memory on the event loop, where a limiter
      // backed by Redis must not block; only blocking routes are counted.
      if (ctx.limiter != nullptr && route.options.rate_limited &&
          route.options.execution != Execution::kInline && !req.rate_counted) {
        req.rate_counted = true;
        ctx.limiter->check(req, route);
      }
      authenticate(route, req, ctx);
      const RequestScope scope(req);  // what the handler's remote calls pass on
      return route.handler(req);
    } catch (const ApiError& e) {
      return errorResponse(e, req);
    } catch (const std::exception& e) {
      if (translate) {
        if (auto api = translate(e)) {
          req.log().warn("request failed", {{"error", e.what()}, {"status", api->status()}});
          return errorResponse(*api, req);
        }
      }
      req.log().error("unhandled exception", {{"error", e.what()}, {"route", route.pattern}});
    }
  } catch (...) {
    // Logging or rendering itself failed (out of memory); fall through to a bare 500.
  }
  try {
    return errorResponse(ApiError(500, "internal-error", "Internal Server Error",
                                  "the server failed to handle this request; it has been logged "
                                  "under this request_id"),
                         req);
  } catch (...) {
    return Response{500, kProblemJson, {}, {}};
  }
}

std::optional<Response> tryFastPath(const Route& route, Request& req,
                                    const DispatchContext& ctx) noexcept {
  if (!route.options.fast_path) return std::nullopt;
  try {
    if (auto spent = refuseSpentBudget(req)) return spent;
    // Counted before the answer: a cached page is still a request, and
    // leaving cache hits uncounted let one client fetch them without limit.
    if (ctx.limiter != nullptr && route.options.rate_limited && !req.rate_counted) {
      if (ctx.limiter->mayBlock()) return std::nullopt;
      req.rate_counted = true;
      try {
        ctx.limiter->check(req, route);
      } catch (const ApiError& e) {
        return errorResponse(e, req);
      }
    }
    return route.options.fast_path(req);
  } catch (...) {
    return std::nullopt;  // the handler will answer, including with the error
  }
}

Response unmatchedResponse(const RouteMatch& match, const Request& req) {
  if (!match.allow.empty()) {
    ApiError e(405, "method-not-allowed", "Method Not Allowed",
               std::string(methodName(req.method)) + " is not allowed on " + std::string(req.path) +
                   "; allowed: " + match.allow);
    e.headers().emplace_back("Allow", match.allow);
    return errorResponse(e, req);
  }
  return errorResponse(ApiError::notFound("no resource at " + std::string(req.path)), req);
}

}  // namespace emporium::http
