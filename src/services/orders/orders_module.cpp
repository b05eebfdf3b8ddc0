#include "services/orders/orders_module.hpp"

#include <rapidjson/document.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "core/json/wire.hpp"
#include "services/orders/http/routes.hpp"

namespace emporium::orders {

OrdersModule::OrdersModule(sql::Database& db, const events::Outbox& outbox, OrderPeers peers,
                           OrderOptions options, events::ActivityLog& activity,
                           const log::Logger& logger)
    : store_(db, outbox),
      service_(
          store_, peers.carts, peers.catalog, peers.inventory, peers.payments,
          [&users = peers.users](const std::string& user_id, const std::string& address_id)
              -> std::optional<ShippingAddress> { return users.address(user_id, address_id); },
          std::move(options), logger),
      activity_(activity) {}

void OrdersModule::addRoutes(http::Router& router) {
  orders::addRoutes(router, service_, activity_);
}

namespace {

// What payment.refunded_at_provider carries (payments' contract,
// docs/events.md). A payload without it can never be booked: dead-lettered.
struct ProviderRefund {
  std::string order_id;
  std::string provider_refund_id;
  std::int64_t amount = 0;
};

ProviderRefund providerRefundOf(const std::string& text) {
  rapidjson::Document payload;
  payload.Parse(text.c_str(), text.size());
  if (payload.HasParseError() || !payload.IsObject()) {
    throw events::PermanentFailure(std::string(payments::kProviderRefundEvent) +
                                   ": the payload is not a JSON object");
  }
  try {
    namespace wire = json::wire;
    return {wire::stringOf(payload, "order_id"), wire::stringOf(payload, "provider_refund_id"),
            wire::intOf(payload, "amount")};
  } catch (const json::wire::ShapeError& e) {
    throw events::PermanentFailure(std::string(payments::kProviderRefundEvent) + ": " + e.what());
  }
}

}  // namespace

// Idempotent without marks: the order books a provider refund under an id
// made from the provider's refund id, and a second delivery is a duplicate.
events::Consumer OrdersModule::providerRefundsConsumer() {
  return {
      std::string(kProviderRefundsConsumer),
      {kProviderRefundsPatterns.begin(), kProviderRefundsPatterns.end()},
      [this](const events::Event& event) {
        const ProviderRefund refund = providerRefundOf(event.payload);
        const std::string& order_id = refund.order_id;
        using Booking = OrderService::ProviderRefundBooking;
        switch (service_.recordProviderRefund(order_id, refund.provider_refund_id, refund.amount)) {
          case Booking::kBooked:
          case Booking::kBookedBefore:
            return;
          case Booking::kNotYet:
            // Retried with backoff; dead-lettered if it never settles.
            throw std::runtime_error("order " + order_id + " is still being checked out");
          case Booking::kRefused:
            // The money moved at the provider: an operator must see it
            // (emporium dlq list), not have it dropped.
            throw events::PermanentFailure("order " + order_id +
                                           " cannot take this refund (no such order, its "
                                           "status, or more than is left to refund)");
        }
      }};
}

}  // namespace emporium::orders
