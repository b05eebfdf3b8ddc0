#include "services/users/http/internal_routes.hpp"

#include <functional>
#include <string>
#include <utility>

#include "core/http/api_error.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "services/users/http/wire.hpp"

namespace emporium::users {
namespace {

using Handler = std::function<void(Client&, const rapidjson::Value&, json::Writer&)>;
using json::wire::stringOf;

void name(Client& users, const rapidjson::Value& root, json::Writer& out) {
  const auto found = users.name(stringOf(root, "user_id"));
  out.key("name");
  if (found) {
    out.value(*found);
  } else {
    out.null();
  }
}

void recipient(Client& users, const rapidjson::Value& root, json::Writer& out) {
  const auto found = users.recipient(stringOf(root, "user_id"));
  out.key("recipient");
  if (found) {
    wire::writeRecipient(out, *found);
  } else {
    out.null();
  }
}

void address(Client& users, const rapidjson::Value& root, json::Writer& out) {
  const auto found = users.address(stringOf(root, "user_id"), stringOf(root, "address_id"));
  out.key("address");
  if (found) {
    wire::writeAddress(out, *found);
  } else {
    out.null();
  }
}

http::Response ok(const json::Writer& out) {
  return http::Response::json(200, out.str()).withHeader("Cache-Control", "no-store");
}

}  // namespace

void addInternalRoutes(http::Router& router, Client& users,
                       const http::ServiceCredential& credential) {
  // Service-to-service calls: no per-client request limit (the gateway
  // applies those at the edge), and the credential instead of a user's token.
  const http::RouteOptions internal{.execution = http::Execution::kBlocking,
                                    .access = http::Access::kPublic,
                                    .rate_limited = false};
  const std::pair<const char*, Handler> calls[] = {
      {"name", name}, {"recipient", recipient}, {"address", address}};
  for (const auto& [call, handler] : calls) {
    router.add(
        http::Method::kPost, std::string(wire::kPrefix) + "/" + call,
        [&users, &credential, handler = handler](http::Request& req) {
          credential.require(req);
          const json::Body body = json::Body::parse(req);
          json::Writer out;
          out.startObject();
          try {
            handler(users, body.root(), out);
          } catch (const json::wire::ShapeError& error) {
            throw http::ApiError::validation(error.field(), error.what());
          }
          out.endObject();
          return ok(out);
        },
        internal);
  }
  router.add(
      http::Method::kGet, std::string(wire::kPrefix) + "/admins",
      [&users, &credential](http::Request& req) {
        credential.require(req);
        json::Writer out;
        out.startObject().key("admins").startArray();
        for (const auto& admin : users.admins()) wire::writeRecipient(out, admin);
        out.endArray().endObject();
        return ok(out);
      },
      internal);
}

}  // namespace emporium::users
