// The orders service's typed refusals rendered as problem documents: the
// bytes the routes sent when the service threw http::ApiError itself.

#include <gtest/gtest.h>

#include "core/http/api_error.hpp"
#include "services/orders/http/problems.hpp"

namespace emporium::orders {
namespace {

std::string body(const http::ApiError& problem) {
  return http::problemResponse(problem, "/api/v1/admin/orders/ord_1/refund", "req_1").body;
}

TEST(OrderProblems, StatusRefusalNamesTheCurrentStatus) {
  const auto problem =
      toProblem(OrderError::status(OrderStatus::kRefunded, OrderStatus::kRefunded));
  EXPECT_EQ(problem.status(), 409);
  EXPECT_EQ(body(problem),
            R"j({"type":"https://emporium.dev/problems/invalid-transition",)j"
            R"j("title":"Not allowed in this state","status":409,)j"
            R"j("detail":"the order is refunded; it cannot be refunded",)j"
            R"j("instance":"/api/v1/admin/orders/ord_1/refund","request_id":"req_1",)j"
            R"j("order_status":"refunded"})j");
}

TEST(OrderProblems, InvalidNamesEveryFieldInOrder) {
  const auto problem = toProblem(OrderError::invalid(
      {{"amount", "is more than what is left to refund (0 of 2499)"}, {"lines", "too large"}}));
  EXPECT_EQ(
      body(problem),
      R"j({"type":"https://emporium.dev/problems/validation-error","title":"Invalid input",)j"
      R"j("status":422,"detail":"invalid input: amount: is more than what is left to refund )j"
      R"j((0 of 2499); lines: too large","instance":"/api/v1/admin/orders/ord_1/refund",)j"
      R"j("request_id":"req_1","errors":[{"field":"amount","message":"is more than what is )j"
      R"j(left to refund (0 of 2499)"},{"field":"lines","message":"too large"}]})j");
}

TEST(OrderProblems, NotFoundAndContendedKeepTheirTypes) {
  const auto missing = toProblem(OrderError::notFound("ord_9"));
  EXPECT_EQ(missing.status(), 404);
  EXPECT_EQ(missing.slug(), "not-found");
  EXPECT_EQ(missing.detail(), "no order ord_9");
  const auto contended = toProblem(OrderError::inProgress("retry"));
  EXPECT_EQ(contended.status(), 409);
  EXPECT_EQ(contended.slug(), "refund-contended");
  EXPECT_EQ(contended.title(), "Refund contended");
}

}  // namespace
}  // namespace emporium::orders
