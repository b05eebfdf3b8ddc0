#include "services/orders/orders_module.hpp"

#include <rapidjson/document.h>

#include <stdexcept>
#include <string>
#include <utility>

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

// Idempotent without marks: the order books a provider refund under an id
// made from the provider's refund id, and a second delivery is a duplicate.
events::Consumer OrdersModule::providerRefundsConsumer() {
  return {
      std::string(kProviderRefundsConsumer),
      {kProviderRefundsPatterns.begin(), kProviderRefundsPatterns.end()},
      [this](const events::Event& event) {
        rapidjson::Document payload;
        payload.Parse(event.payload.c_str(), event.payload.size());
        const auto has_string = [&payload](const char* member) {
          return payload.HasMember(member) && payload[member].IsString();
        };
        if (payload.HasParseError() || !payload.IsObject() || !has_string("order_id") ||
            !has_string("provider_refund_id") || !payload.HasMember("amount") ||
            !payload["amount"].IsInt64()) {
          throw events::PermanentFailure(std::string(payments::kProviderRefundEvent) +
                                         " without order_id, provider_refund_id and amount");
        }
        const std::string order_id = payload["order_id"].GetString();
        using Booking = OrderService::ProviderRefundBooking;
        switch (service_.recordProviderRefund(order_id, payload["provider_refund_id"].GetString(),
                                              payload["amount"].GetInt64())) {
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
