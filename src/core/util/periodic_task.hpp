#pragma once
// A background thread that runs one task at a fixed interval until it is
// destroyed. Used by the services' sweepers (expired stock holds, stale guest
// carts): RAII, so a service's sweeper can never outlive the service.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace emporium::util {

class PeriodicTask {
 public:
  using Task = std::function<void()>;
  /// Called with what the task threw; the task keeps running on schedule.
  using OnError = std::function<void(const std::exception&)>;

  /// Starts the thread; the first run is one interval from now. interval must be positive.
  PeriodicTask(std::chrono::milliseconds interval, Task task, OnError on_error);
  /// Stops and joins the thread (waits for a run in progress to finish).
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  PeriodicTask(PeriodicTask&&) = delete;
  PeriodicTask& operator=(PeriodicTask&&) = delete;

  /// Wakes the thread and joins it; idempotent. Runs no further task.
  void stop();

 private:
  void loop();

  std::chrono::milliseconds interval_;
  Task task_;
  OnError on_error_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started after every member it reads exists
};

}  // namespace emporium::util
