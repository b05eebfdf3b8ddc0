#pragma once
// The shared secret our services present to each other's internal routes
// (/internal/v1/...): config `[services] internal_secret`, the same in every
// process of a deployment. Without it those routes are not mounted at all.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace emporium::http {

class Request;

class ServiceCredential {
 public:
  /// The request header a caller sends the secret in.
  static constexpr std::string_view kHeader = "X-Emporium-Service-Secret";
  /// Shorter secrets are refused by the configuration.
  static constexpr std::size_t kMinLength = 32;

  explicit ServiceCredential(std::string secret) : secret_(std::move(secret)) {}

  const std::string& secret() const noexcept { return secret_; }

  /// Whether `presented` is the secret, compared in time independent of
  /// where the two first differ.
  bool matches(std::string_view presented) const noexcept;

  /// Throws ApiError 401 unless the request carries the secret.
  void require(const Request& req) const;

 private:
  std::string secret_;
};

}  // namespace emporium::http
