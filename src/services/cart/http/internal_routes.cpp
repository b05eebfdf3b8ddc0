#include "services/cart/http/internal_routes.hpp"

#include <string>

#include "core/http/api_error.hpp"
#include "core/http/internal_route.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "services/cart/http/wire.hpp"

namespace emporium::cart {
void addInternalRoutes(http::Router& router, Client& carts,
                       const http::ServiceCredential& credential) {
  http::addInternalRoute(
      router, std::string(wire::kPrefix) + "/lines", credential, [&carts](const json::Body& body) {
        // "" is a guest checking out: the user id is always sent.
        const auto cart_id = json::wire::stringOf(body.root(), "cart_id");
        const auto lines = carts.linesFor(cart_id, json::wire::stringOf(body.root(), "user_id"));
        json::Writer out;
        out.startObject().key("lines");
        if (lines) {
          wire::writeLines(out, *lines);
        } else {
          out.null();  // not a 404: that is what a caller sees when the route is not mounted
        }
        out.endObject();
        return http::internalAnswer(out.str());
      });
  http::addInternalRoute(
      router, std::string(wire::kPrefix) + "/remove-lines", credential,
      [&carts](const json::Body& body) {
        const auto cart_id = json::wire::stringOf(body.root(), "cart_id");
        const auto lines = wire::readLines(json::wire::member(body.root(), "lines"), "lines");
        for (const auto& line : lines) {
          if (line.quantity < 1) {
            throw http::ApiError::validation("lines", "quantities must be positive");
          }
        }
        carts.removeLines(cart_id, lines);
        return http::Response::noContent();
      });
}

}  // namespace emporium::cart
