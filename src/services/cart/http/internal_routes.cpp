#include "services/cart/http/internal_routes.hpp"

#include <string>

#include "core/http/api_error.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "services/cart/http/wire.hpp"

namespace emporium::cart {
namespace {

// A wire shape the route does not accept is a 422 naming the field.
template <class Read>
auto readBody(const json::Body& body, Read read) {
  try {
    return read(body.root());
  } catch (const json::wire::ShapeError& error) {
    throw http::ApiError::validation(error.field(), error.what());
  }
}

}  // namespace

void addInternalRoutes(http::Router& router, Client& carts,
                       const http::ServiceCredential& credential) {
  // Service-to-service calls: no per-client request limit (the gateway
  // applies those at the edge), and the credential instead of a user's token.
  const http::RouteOptions internal{.execution = http::Execution::kBlocking,
                                    .access = http::Access::kPublic,
                                    .rate_limited = false};
  router.add(
      http::Method::kPost, std::string(wire::kPrefix) + "/lines",
      [&carts, &credential](http::Request& req) {
        credential.require(req);
        const json::Body body = json::Body::parse(req);
        // "" is a guest checking out: the user id is always sent.
        const auto [cart_id, user_id] = readBody(body, [](const rapidjson::Value& root) {
          return std::pair{json::wire::stringOf(root, "cart_id"),
                           json::wire::stringOf(root, "user_id")};
        });
        const auto lines = carts.linesFor(cart_id, user_id);
        json::Writer out;
        out.startObject().key("lines");
        if (lines) {
          wire::writeLines(out, *lines);
        } else {
          out.null();  // not a 404: that is what a caller sees when the route is not mounted
        }
        out.endObject();
        return http::Response::json(200, out.str()).withHeader("Cache-Control", "no-store");
      },
      internal);
  router.add(
      http::Method::kPost, std::string(wire::kPrefix) + "/remove-lines",
      [&carts, &credential](http::Request& req) {
        credential.require(req);
        const json::Body body = json::Body::parse(req);
        const auto [cart_id, lines] = readBody(body, [](const rapidjson::Value& root) {
          return std::pair{json::wire::stringOf(root, "cart_id"),
                           wire::readLines(json::wire::member(root, "lines"), "lines")};
        });
        for (const auto& line : lines) {
          if (line.quantity < 1)
            throw http::ApiError::validation("lines", "quantities must be positive");
        }
        carts.removeLines(cart_id, lines);
        return http::Response::noContent();
      },
      internal);
}

}  // namespace emporium::cart
