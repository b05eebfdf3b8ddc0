#include "core/util/periodic_task.hpp"

#include <stdexcept>
#include <utility>

namespace emporium::util {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, Task task, OnError on_error)
    : interval_(interval), task_(std::move(task)), on_error_(std::move(on_error)) {
  if (interval_.count() <= 0)
    throw std::invalid_argument("PeriodicTask: interval must be positive");
  if (!task_) throw std::invalid_argument("PeriodicTask: task is required");
  thread_ = std::thread([this] { loop(); });
}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicTask::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    // wait_for with a predicate: spurious wake-ups neither run the task early
    // nor miss a stop requested while the task ran.
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    lock.unlock();
    try {
      task_();
    } catch (const std::exception& e) {
      if (on_error_) on_error_(e);
    }
    lock.lock();
  }
}

}  // namespace emporium::util
