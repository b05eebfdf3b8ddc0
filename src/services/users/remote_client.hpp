#pragma once
// users::Client in another process: one request to the users service's
// internal routes (http/internal_routes.hpp) per call, through a
// net::ServiceCaller (instances in turn, credential, deadline, breaker,
// retries: every call is a read). No usable answer is net::PeerError, which
// a request turns into 503 and a consumer retries.

#include <chrono>
#include <string>
#include <vector>

#include "core/net/http_client.hpp"
#include "core/net/service_caller.hpp"
#include "services/users/client.hpp"

namespace emporium::users {

class RemoteClient final : public Client {
 public:
  /// `urls`: the base URLs of the users service's instances; `secret`: the
  /// deployment's service credential. `http` outlives this client.
  RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
               std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

  std::optional<std::string> name(const std::string& user_id) override;
  std::optional<Recipient> recipient(const std::string& user_id) override;
  std::vector<Recipient> admins() override;
  std::optional<util::PostalAddress> address(const std::string& user_id,
                                             const std::string& address_id) override;

 private:
  net::ServiceCaller caller_;
};

}  // namespace emporium::users
