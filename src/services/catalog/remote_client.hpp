#pragma once
// catalog::Client in another process: one request to the catalog's internal
// routes (http/internal_routes.hpp) per lookup, through a net::ServiceCaller
// (instances in turn, credential, deadline, breaker, retries: a lookup is a
// read). No answer is net::PeerError, which a request turns into 503.

#include <chrono>
#include <string>
#include <vector>

#include "core/net/http_client.hpp"
#include "core/net/service_caller.hpp"
#include "services/catalog/client.hpp"

namespace emporium::catalog {

class RemoteClient final : public Client {
 public:
  /// `urls`: the base URLs of the catalog's instances; `secret`: the
  /// deployment's service credential. `http` outlives this client.
  RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
               std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

  std::vector<SkuInfo> lookup(std::span<const std::string> skus) override;

 private:
  net::ServiceCaller caller_;
};

}  // namespace emporium::catalog
