#include "core/events/published_purge.hpp"

#include <exception>
#include <string_view>

namespace emporium::events {

void PublishedPurge::runIfDue(const std::vector<const Outbox*>& outboxes,
                              const log::Logger& logger) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) return;
  next_ = now + options_.interval;
  const auto cutoff = std::chrono::system_clock::now() - options_.retention;
  for (const Outbox* outbox : outboxes) {
    try {
      outbox->purgePublished(cutoff);
    } catch (const std::exception& e) {
      logger.warn("outbox purge failed", {{"error", std::string_view(e.what())}});
    }
  }
}

}  // namespace emporium::events
