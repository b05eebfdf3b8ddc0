#pragma once
// inventory::Client in another process: each call is one request to the
// inventory service's internal routes (http/internal_routes.hpp) over the
// shared net::HttpClient, which brings the keep-alive pool, the deadline, the
// breaker and the retries. Every call of the contract is idempotent (per
// order, per key, or a read), so every call may be retried.
//
// A call that gets no usable answer (inventory down, breaker open, deadline
// passed, a 5xx) throws net::PeerError, which a request turns into 503.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/net/http_client.hpp"
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
  /// One call; returns the answer's body when its status is `expected`.
  std::string call(const char* method, const std::string& name, std::string body, int expected);

  net::HttpClient& http_;
  std::vector<std::string> urls_;
  std::string secret_;
  std::chrono::milliseconds timeout_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace emporium::inventory
