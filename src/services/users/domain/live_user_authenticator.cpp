#include "services/users/domain/live_user_authenticator.hpp"

namespace emporium::users {

std::optional<http::Principal> LiveUserAuthenticator::verify(std::string_view token) const {
  auto principal = tokens_.verify(token);
  if (!principal) return std::nullopt;
  const auto now = clock_();
  {
    const std::lock_guard lock(mutex_);
    const auto it = known_.find(principal->user_id);
    if (it != known_.end() && it->second.until > now) {
      return it->second.exists ? principal : std::nullopt;
    }
  }
  // Read outside the lock: a slow store must not serialise every request.
  const bool exists = exists_(principal->user_id);
  {
    const std::lock_guard lock(mutex_);
    // Bounded: entries are cheap to recompute, so a full table simply starts over.
    if (known_.size() >= kMaxCached) known_.clear();
    known_[principal->user_id] = Known{exists, now + cache_for_};
  }
  return exists ? principal : std::nullopt;
}

}  // namespace emporium::users
