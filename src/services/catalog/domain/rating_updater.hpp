#pragma once
// Recomputes products' rating aggregates off the request path: a review is
// acknowledged as soon as it is stored, and its product's rating and
// review_count follow a moment later (eventual consistency, as the seed
// allows). Requests for the same product while one is queued are merged.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace emporium::catalog {

class RatingUpdater {
 public:
  /// refresh(product_id) recomputes and stores the aggregate; it runs on the
  /// updater's own thread. A refresh that throws is logged by on_error and
  /// dropped (the next review of that product recomputes from all rows).
  RatingUpdater(std::function<void(std::int64_t)> refresh,
                std::function<void(std::int64_t, const std::exception&)> on_error);
  /// Finishes what is queued, then stops.
  ~RatingUpdater();
  RatingUpdater(const RatingUpdater&) = delete;
  RatingUpdater& operator=(const RatingUpdater&) = delete;

  void schedule(std::int64_t product_id);
  /// Blocks until everything scheduled before the call has been processed (tests, shutdown).
  void drain();

 private:
  void run(const std::stop_token& stop);

  std::function<void(std::int64_t)> refresh_;
  std::function<void(std::int64_t, const std::exception&)> on_error_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::condition_variable idle_;
  std::deque<std::int64_t> queue_;
  std::set<std::int64_t> queued_;
  bool busy_ = false;
  std::jthread worker_;  // last: starts after, and stops before, the state it uses
};

}  // namespace emporium::catalog
