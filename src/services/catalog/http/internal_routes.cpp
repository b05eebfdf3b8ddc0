#include "services/catalog/http/internal_routes.hpp"

#include <string>

#include "core/http/api_error.hpp"
#include "core/http/internal_route.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "services/catalog/http/wire.hpp"

namespace emporium::catalog {
namespace {

// A checkout prices its lines in one call; more SKUs than any cart holds is
// a caller's bug, not a lookup to run.
constexpr std::size_t kMaxSkus = 1000;

}  // namespace

void addInternalRoutes(http::Router& router, Client& catalog,
                       const http::ServiceCredential& credential) {
  http::addInternalRoute(router, std::string(wire::kPrefix) + "/lookup", credential,
                         [&catalog](const json::Body& body) {
                           const auto skus = json::wire::readStrings(
                               json::wire::member(body.root(), "skus"), "skus");
                           if (skus.size() > kMaxSkus)
                             throw http::ApiError::validation("skus", "at most 1000");
                           json::Writer out;
                           out.startObject().key("items");
                           wire::writeSkuInfos(out, catalog.lookup(skus));
                           out.endObject();
                           return http::internalAnswer(out.str());
                         });
}

}  // namespace emporium::catalog
