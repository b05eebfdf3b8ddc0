#pragma once
// cart::Client in another process: one request to the cart's internal routes
// (http/internal_routes.hpp) per call, through a net::ServiceCaller
// (instances in turn, credential, deadline, breaker). linesFor is a read and
// may be retried; removeLines takes units away, so it is sent once (again
// only when the connection was never made): the saga repeats it itself.
// No usable answer is net::PeerError, which a request turns into 503.

#include <chrono>
#include <string>
#include <vector>

#include "core/net/http_client.hpp"
#include "core/net/service_caller.hpp"
#include "services/cart/client.hpp"

namespace emporium::cart {

class RemoteClient final : public Client {
 public:
  /// `urls`: the base URLs of the cart service's instances; `secret`: the
  /// deployment's service credential. `http` outlives this client.
  RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
               std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

  std::optional<std::vector<CartLine>> linesFor(const std::string& cart_id,
                                                const std::string& user_id) override;
  void removeLines(const std::string& cart_id, const std::vector<CartLine>& lines) override;

 private:
  net::ServiceCaller caller_;
};

}  // namespace emporium::cart
