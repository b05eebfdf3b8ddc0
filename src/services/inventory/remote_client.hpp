#pragma once
// inventory::Client in another process: each call is one request to the
// inventory service's internal routes (http/internal_routes.hpp) through a
// net::ServiceCaller, which brings the instances in turn, the credential,
// the keep-alive pool, the deadline, the breaker and the retries. Every call
// of the contract is idempotent (per order, per key, or a read), so every
// call may be retried.
//
// A call that gets no usable answer (inventory down, breaker open, deadline
// passed, a 5xx) throws net::PeerError, which a request turns into 503.

#include <chrono>
#include <string>
#include <vector>

#include "core/net/http_client.hpp"
#include "core/net/service_caller.hpp"
#include "services/inventory/client.hpp"

namespace emporium::inventory {

class RemoteClient final : public Client {
 public:
  /// `urls`: the base URLs of inventory's instances ("http://127.0.0.1:9103"),
  /// taken in turn; `secret`: the deployment's service credential.
  /// `http` outlives this client.
  RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
               std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

  std::vector<StockLevel> levels(std::span<const std::string> skus) override;
  ReserveResult reserve(const std::string& order_id, std::span<const ReservationLine> lines,
                        std::chrono::seconds hold_for) override;
  bool confirm(const std::string& order_id) override;
  void fulfil(const std::string& order_id) override;
  void release(const std::string& order_id) override;
  void returnToStock(const std::string& key, std::span<const ReservationLine> lines) override;
  SetOnHandResult setOnHand(const std::string& sku, std::int64_t on_hand) override;
  std::int64_t importMissing(std::span<const StockLevel> levels) override;
  std::int64_t count() override;

 private:
  /// One call's body when its status is `expected` (every call is retryable).
  std::string call(std::string_view method, std::string_view name, std::string body, int expected);

  net::ServiceCaller caller_;
};

}  // namespace emporium::inventory
