#include "services/catalog/remote_client.hpp"

#include <utility>

#include "core/json/writer.hpp"
#include "services/catalog/http/wire.hpp"

namespace emporium::catalog {

RemoteClient::RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
                           std::chrono::milliseconds timeout)
    : caller_(http, "catalog", std::string(wire::kPrefix), std::move(urls), std::move(secret),
              timeout) {}

std::vector<SkuInfo> RemoteClient::lookup(std::span<const std::string> skus) {
  if (skus.empty()) return {};
  json::Writer out;
  out.startObject().key("skus");
  json::wire::writeStrings(out, skus);
  out.endObject();
  return caller_.read(caller_.expect("POST", "lookup", out.str(), 200, /*idempotent=*/true),
                      [](const rapidjson::Value& root) {
                        return wire::readSkuInfos(json::wire::member(root, "items"), "items");
                      });
}

}  // namespace emporium::catalog
