#include "core/http/internal_route.hpp"

#include <utility>

#include "core/http/api_error.hpp"
#include "core/json/wire.hpp"

namespace emporium::http {
namespace {

RouteOptions internalOptions() {
  return RouteOptions{
      .execution = Execution::kBlocking, .access = Access::kPublic, .rate_limited = false};
}

}  // namespace

void addInternalRoute(Router& router, const std::string& path, const ServiceCredential& credential,
                      InternalJsonHandler handler) {
  router.add(
      Method::kPost, path,
      [&credential, handler = std::move(handler)](Request& req) {
        credential.require(req);
        const json::Body body = json::Body::parse(req);
        try {
          return handler(body);
        } catch (const json::wire::ShapeError& error) {
          throw ApiError::validation(error.field(), error.what());
        }
      },
      internalOptions());
}

void addInternalRoute(Router& router, const std::string& path, const ServiceCredential& credential,
                      InternalHandler handler) {
  router.add(
      Method::kGet, path,
      [&credential, handler = std::move(handler)](Request& req) {
        credential.require(req);
        return handler();
      },
      internalOptions());
}

Response internalAnswer(std::string json_text) {
  return Response::json(200, std::move(json_text)).withHeader("Cache-Control", "no-store");
}

}  // namespace emporium::http
