#include "services/catalog/http/internal_routes.hpp"

#include <string>

#include "core/http/api_error.hpp"
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
  // Service-to-service calls: no per-client request limit (the gateway
  // applies those at the edge), and the credential instead of a user's token.
  const http::RouteOptions internal{.execution = http::Execution::kBlocking,
                                    .access = http::Access::kPublic,
                                    .rate_limited = false};
  router.add(
      http::Method::kPost, std::string(wire::kPrefix) + "/lookup",
      [&catalog, &credential](http::Request& req) {
        credential.require(req);
        const json::Body body = json::Body::parse(req);
        std::vector<std::string> skus;
        try {
          skus = json::wire::readStrings(json::wire::member(body.root(), "skus"), "skus");
        } catch (const json::wire::ShapeError& error) {
          throw http::ApiError::validation(error.field(), error.what());
        }
        if (skus.size() > kMaxSkus) throw http::ApiError::validation("skus", "at most 1000");
        json::Writer out;
        out.startObject().key("items");
        wire::writeSkuInfos(out, catalog.lookup(skus));
        out.endObject();
        return http::Response::json(200, out.str()).withHeader("Cache-Control", "no-store");
      },
      internal);
}

}  // namespace emporium::catalog
