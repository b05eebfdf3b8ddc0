#pragma once
// payments::Client in another process: one request to payments' internal
// routes (http/internal_routes.hpp) per call, through a net::ServiceCaller
// (instances in turn, credential, deadline, breaker). Every call of the
// contract is idempotent (charges per key, refunds per order or key), so
// every call may be retried or moved to another instance.
//
// A charge that gets no usable answer is ChargeOutcome::kUnavailable, as a
// card provider that does not answer is: the saga then releases the stock,
// fails the order with 503 and owes a refund (by idempotency key), which
// gives back anything the payments service took before the line went quiet.
// The other calls throw net::PeerError; the saga's recovery retries them.

#include <chrono>
#include <string>
#include <vector>

#include "core/net/http_client.hpp"
#include "core/net/service_caller.hpp"
#include "services/payments/client.hpp"

namespace emporium::payments {

class RemoteClient final : public Client {
 public:
  /// `urls`: the base URLs of the payments service's instances; `secret`:
  /// the deployment's service credential; `timeout`: longer than a charge
  /// may take at the card provider (the composition root passes
  /// payments::worstCase plus a second). `http` outlives it.
  RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
               std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

  ChargeResult charge(const ChargeRequest& request) override;
  RefundOutcome refund(const std::string& order_id) override;
  RefundOutcome refundPart(const std::string& order_id, const std::string& key,
                           std::int64_t amount) override;
  void markCollected(const std::string& order_id) override;
  std::optional<Payment> forOrder(const std::string& order_id) override;

 private:
  std::string post(std::string_view name, std::string body, int expected);

  net::ServiceCaller caller_;
};

}  // namespace emporium::payments
