#include "services/catalog/domain/rating_updater.hpp"

namespace emporium::catalog {

RatingUpdater::RatingUpdater(std::function<void(std::int64_t)> refresh,
                             std::function<void(std::int64_t, const std::exception&)> on_error)
    : refresh_(std::move(refresh)),
      on_error_(std::move(on_error)),
      worker_([this](const std::stop_token& stop) { run(stop); }) {}

RatingUpdater::~RatingUpdater() {
  drain();
  worker_.request_stop();
  wake_.notify_all();
}

void RatingUpdater::schedule(std::int64_t product_id) {
  {
    const std::lock_guard lock(mutex_);
    if (!queued_.insert(product_id).second) return;
    queue_.push_back(product_id);
  }
  wake_.notify_one();
}

void RatingUpdater::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void RatingUpdater::run(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (!wake_.wait(lock, stop, [this] { return !queue_.empty(); })) break;
    const std::int64_t id = queue_.front();
    queue_.pop_front();
    queued_.erase(id);
    busy_ = true;
    lock.unlock();
    try {
      refresh_(id);
    } catch (const std::exception& e) {
      on_error_(id, e);
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace emporium::catalog
