#pragma once
// Why a change to an order after checkout (cancel, ship, deliver, refund) was
// refused, as plain data: the service decides, orders/http/problems.hpp
// turns it into the problem document the contract names.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/orders/domain/order.hpp"

namespace emporium::orders {

/// One invalid input of a request: its field's name (a JSON path such as
/// `lines[0].sku`) and why.
struct FieldProblem {
  std::string field;
  std::string message;
};

struct OrderError {
  enum Kind {
    kNotFound,    // no such order (or not the caller's) -> 404
    kStatus,      // the transition table refuses the change from `current` -> 409
    kInvalid,     // the request does not fit the order: `fields` -> 422
    kInProgress,  // other changes to the order kept moving it under us; retry -> 409
  };
  Kind kind = kNotFound;
  /// kStatus: the order's status when it was refused.
  std::optional<OrderStatus> current;
  /// kInvalid: every problem found, in the request's order.
  std::vector<FieldProblem> fields;
  /// For the buyer or admin: what happened this time.
  std::string detail;

  static OrderError notFound(const std::string& order_id) {
    return {kNotFound, std::nullopt, {}, "no order " + order_id};
  }
  /// The order is `current` and the table has no way from it to `wanted`.
  static OrderError status(OrderStatus current, OrderStatus wanted) {
    return {kStatus,
            current,
            {},
            "the order is " + std::string(statusName(current)) + "; it cannot be " +
                std::string(statusName(wanted))};
  }
  static OrderError invalid(std::vector<FieldProblem> fields) {
    return {kInvalid, std::nullopt, std::move(fields), {}};
  }
  static OrderError invalid(std::string field, std::string message) {
    return invalid(std::vector<FieldProblem>{{std::move(field), std::move(message)}});
  }
  static OrderError inProgress(std::string detail) {
    return {kInProgress, std::nullopt, {}, std::move(detail)};
  }
};

}  // namespace emporium::orders
