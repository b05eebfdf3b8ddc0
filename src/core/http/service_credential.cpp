#include "core/http/service_credential.hpp"

#include <sodium.h>

#include "core/http/api_error.hpp"
#include "core/http/request.hpp"

namespace emporium::http {

bool ServiceCredential::matches(std::string_view presented) const noexcept {
  // The length is not secret (it is fixed by configuration); the bytes are.
  if (secret_.empty() || presented.size() != secret_.size()) return false;
  return sodium_memcmp(presented.data(), secret_.data(), secret_.size()) == 0;
}

void ServiceCredential::require(const Request& req) const {
  if (!matches(req.header(kHeader))) {
    throw ApiError::unauthorized("internal routes need the service credential in " +
                                 std::string(kHeader));
  }
}

}  // namespace emporium::http
