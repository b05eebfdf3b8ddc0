#pragma once
// Brute-force protection of sign-in that cannot be turned into a lockout
// (OWASP's device-cookie scheme). Failed sign-ins are counted per account and
// per (account, client address); once either is over its cap, clients the
// account has not seen before are held back for the rest of the window. A
// client that signed in before carries a signed device cookie for the
// account: it is a known client, counted only against its own device, so
// strangers' failures never keep the owner out.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "core/ratelimit/failed_attempts.hpp"
#include "services/users/storage/sign_in_store.hpp"

namespace emporium::users {

struct SignInPolicy {
  /// The sliding window failures are counted in.
  std::chrono::seconds window{3600};
  /// Failed sign-ins of unknown clients per account per window.
  std::int64_t max_per_account = 10;
  /// Failed sign-ins of unknown clients per (account, address) per window:
  /// one address alone spends at most half of the account's allowance.
  std::int64_t max_per_address = 5;
  /// Failed sign-ins per device cookie per window.
  std::int64_t max_per_device = 10;
  /// How long a device cookie stays valid.
  std::chrono::seconds device_lifetime{std::chrono::hours(24 * 365)};
};

/// Who tries to sign in, as far as the guard cares.
struct SignInClient {
  std::string email;          // normalized
  std::string address;        // the client's address
  std::string device_cookie;  // the value of deviceCookieName(email) as sent, or empty
};

/// An attempt let through: report its outcome with succeeded().
struct SignInAdmission {
  std::string attempt_id;
  bool known_device = false;
};

/// An attempt held back, and when to try again.
struct SignInRefusal {
  std::chrono::seconds retry_after{0};
};

class SignInGuard {
 public:
  /// Seconds since the epoch.
  using Clock = std::function<std::int64_t()>;

  /// Reads (or makes) the device-cookie key; throws sql::Error.
  explicit SignInGuard(SignInStore& store, SignInPolicy policy = {}, Clock clock = systemClock());

  /// Counts the attempt as a failure before the password is checked (so
  /// concurrent guesses cannot pass the cap together), or refuses it.
  std::variant<SignInAdmission, SignInRefusal> admit(const SignInClient& client);
  /// The password was right: the attempt was no failure.
  void succeeded(const SignInAdmission& admission);

  /// A fresh device cookie value for the account (signed, expires after
  /// policy.device_lifetime).
  std::string issueDeviceCookie(std::string_view email) const;
  /// The cookie name that holds the device cookie of this account: one per
  /// account, so a browser shared by two accounts is known to both.
  static std::string deviceCookieName(std::string_view email);
  const SignInPolicy& policy() const { return policy_; }

  static Clock systemClock();

 private:
  /// The device id of a cookie signed for this account and unexpired; empty otherwise.
  std::string deviceOf(std::string_view cookie, std::string_view email, std::int64_t now) const;
  std::string mac(std::string_view email, std::string_view device, std::string_view expires) const;

  SignInPolicy policy_;
  Clock clock_;
  ratelimit::FailedAttempts attempts_;
  std::string key_;
};

}  // namespace emporium::users
