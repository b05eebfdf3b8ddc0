#include <string>
#include <vector>

#include "core/json/writer.hpp"
#include "services/orders/http/problems.hpp"

namespace emporium::orders {

http::ApiError toProblem(const OrderError& error) {
  switch (error.kind) {
    case OrderError::kNotFound:
      return http::ApiError::notFound(error.detail);
    case OrderError::kStatus: {
      http::ApiError problem(409, "invalid-transition", "Not allowed in this state", error.detail);
      if (error.current) {
        json::Writer w;
        w.startObject().member("order_status", statusName(*error.current)).endObject();
        // The members of the object, without its braces: the problem adds them.
        const std::string& object = w.str();
        problem.extensionMembers() = object.substr(1, object.size() - 2);
      }
      return problem;
    }
    case OrderError::kInvalid: {
      std::vector<http::FieldError> fields;
      fields.reserve(error.fields.size());
      for (const auto& field : error.fields) fields.push_back({field.field, field.message});
      return http::ApiError::validation(std::move(fields));
    }
    case OrderError::kInProgress:
      break;
  }
  return {409, "refund-contended", "Refund contended", error.detail};
}

}  // namespace emporium::orders
