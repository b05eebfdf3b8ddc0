#include "services/users/domain/sign_in_guard.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/sql/migrations.hpp"
#include "services/users/domain/jwt.hpp"

namespace emporium::users {
namespace {

// Device cookies look like "v1.<device id>.<expires_at>.<mac>".
constexpr std::string_view kCookieVersion = "v1";

std::string randomId() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return base64UrlEncode(bytes);
}

// Splits "a.b.c.d" into exactly four non-empty parts.
bool splitCookie(std::string_view cookie, std::array<std::string_view, 4>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto dot = i + 1 < parts.size() ? cookie.find('.') : cookie.size();
    if (dot == std::string_view::npos || dot == 0) return false;
    parts.at(i) = cookie.substr(0, dot);
    cookie.remove_prefix(std::min(dot + 1, cookie.size()));
  }
  return parts[3].find('.') == std::string_view::npos;
}

}  // namespace

SignInGuard::Clock SignInGuard::systemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

SignInGuard::SignInGuard(SignInStore& store, SignInPolicy policy, Clock clock)
    : policy_(policy),
      clock_(std::move(clock)),
      attempts_(store.failures(), policy_.window, clock_),  // initialises libsodium
      key_(store.deviceKey()) {}

std::variant<SignInAdmission, SignInRefusal> SignInGuard::admit(const SignInClient& client) {
  const std::int64_t now = clock_();
  SignInAdmission admission;
  std::vector<ratelimit::ScopeLimit> scopes;
  if (const auto device = deviceOf(client.device_cookie, client.email, now); !device.empty()) {
    admission.known_device = true;
    scopes.push_back({"device:" + device, policy_.max_per_device});
  } else {
    const auto account = sql::sha256Hex(client.email);
    scopes.push_back({"account:" + account, policy_.max_per_account});
    scopes.push_back(
        {"address:" + sql::sha256Hex(account + ' ' + client.address), policy_.max_per_address});
  }
  auto verdict = attempts_.admit(std::move(scopes));
  if (const auto* refusal = std::get_if<ratelimit::AttemptRefusal>(&verdict)) {
    return SignInRefusal{refusal->retry_after};
  }
  admission.attempt_id = std::get<ratelimit::AttemptAdmission>(verdict).attempt_id;
  return admission;
}

void SignInGuard::succeeded(const SignInAdmission& admission) {
  attempts_.succeeded({admission.attempt_id});
}

std::string SignInGuard::deviceCookieName(std::string_view email) {
  return "emporium_device_" + sql::sha256Hex(email).substr(0, 16);
}

std::string SignInGuard::mac(std::string_view email, std::string_view device,
                             std::string_view expires) const {
  std::string message(kCookieVersion);
  message.append("\n").append(email).append("\n").append(device).append("\n").append(expires);
  std::array<unsigned char, crypto_auth_BYTES> tag{};
  crypto_auth(tag.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
              reinterpret_cast<const unsigned char*>(key_.data()));
  return base64UrlEncode(tag);
}

std::string SignInGuard::issueDeviceCookie(std::string_view email) const {
  const auto device = randomId();
  const auto expires = std::to_string(clock_() + policy_.device_lifetime.count());
  return std::string(kCookieVersion) + '.' + device + '.' + expires + '.' +
         mac(email, device, expires);
}

std::string SignInGuard::deviceOf(std::string_view cookie, std::string_view email,
                                  std::int64_t now) const {
  std::array<std::string_view, 4> parts{};
  if (cookie.empty() || cookie.size() > 256 || !splitCookie(cookie, parts) ||
      parts[0] != kCookieVersion) {
    return {};
  }
  std::int64_t expires = 0;
  const auto [end, ec] =
      std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), expires);
  if (ec != std::errc() || end != parts[2].data() + parts[2].size() || expires <= now) return {};
  const auto expected = mac(email, parts[1], parts[2]);
  if (expected.size() != parts[3].size() ||
      sodium_memcmp(expected.data(), parts[3].data(), expected.size()) != 0) {
    return {};
  }
  return std::string(parts[1]);
}

}  // namespace emporium::users
