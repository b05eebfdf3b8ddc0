#include "services/users/http/internal_routes.hpp"

#include <string>
#include <utility>

#include "core/http/internal_route.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "services/users/http/wire.hpp"

namespace emporium::users {
namespace {

using Handler = void (*)(Client&, const rapidjson::Value&, json::Writer&);
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

}  // namespace

void addInternalRoutes(http::Router& router, Client& users,
                       const http::ServiceCredential& credential) {
  const std::pair<const char*, Handler> calls[] = {
      {"name", name}, {"recipient", recipient}, {"address", address}};
  for (const auto& [call, handler] : calls) {
    http::addInternalRoute(router, std::string(wire::kPrefix) + "/" + call, credential,
                           [&users, handler = handler](const json::Body& body) {
                             json::Writer out;
                             out.startObject();
                             handler(users, body.root(), out);
                             out.endObject();
                             return http::internalAnswer(out.str());
                           });
  }
  http::addInternalRoute(router, std::string(wire::kPrefix) + "/admins", credential, [&users] {
    json::Writer out;
    out.startObject().key("admins").startArray();
    for (const auto& admin : users.admins()) wire::writeRecipient(out, admin);
    out.endArray().endObject();
    return http::internalAnswer(out.str());
  });
}

}  // namespace emporium::users
