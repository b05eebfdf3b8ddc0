#include "core/http/request_scope.hpp"

namespace emporium::http {
namespace {

thread_local const Request* current_request = nullptr;

}  // namespace

RequestScope::RequestScope(const Request& request) noexcept : previous_(current_request) {
  current_request = &request;
}

RequestScope::~RequestScope() { current_request = previous_; }

const Request* RequestScope::current() noexcept { return current_request; }

}  // namespace emporium::http
