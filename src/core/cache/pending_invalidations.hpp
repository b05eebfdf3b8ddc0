#pragma once
// Internal to emporium_cache: the invalidations Redis did not take (down, in
// its backoff, or a command timed out), kept until it does. Dropping them
// would leave every other process serving the old value for an L4 TTL (their
// pub/sub never heard of the change) and Redis holding it for an L3 TTL (its
// DEL never ran); a listing generation bump lost this way would hide a write
// from every other process's listings for as long as their L3 entries live.

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace emporium::cache::detail {

class PendingInvalidations {
 public:
  struct Batch {
    std::vector<std::string> keys;
    bool generation_bump = false;
    bool empty() const { return keys.empty() && !generation_bump; }
  };

  void addKeys(std::span<const std::string> keys) {
    const std::lock_guard lock(mutex_);
    keys_.insert(keys.begin(), keys.end());
    any_.store(true, std::memory_order_release);
  }

  void addGenerationBump() {
    const std::lock_guard lock(mutex_);
    generation_bump_ = true;
    any_.store(true, std::memory_order_release);
  }

  /// A later bump that reached Redis covers this one: every process adopts it.
  void generationBumpSent() {
    const std::lock_guard lock(mutex_);
    generation_bump_ = false;
    any_.store(!keys_.empty(), std::memory_order_release);
  }

  /// Lock-free: the subscriber asks about ten times a second.
  bool any() const { return any_.load(std::memory_order_acquire); }

  /// Takes everything pending; give back() what could not be sent.
  Batch take() {
    const std::lock_guard lock(mutex_);
    Batch batch{std::vector<std::string>(keys_.begin(), keys_.end()), generation_bump_};
    keys_.clear();
    generation_bump_ = false;
    any_.store(false, std::memory_order_release);
    return batch;
  }

  void giveBack(Batch batch) {
    if (batch.empty()) return;
    const std::lock_guard lock(mutex_);
    keys_.insert(batch.keys.begin(), batch.keys.end());
    generation_bump_ = generation_bump_ || batch.generation_bump;
    any_.store(true, std::memory_order_release);
  }

 private:
  std::mutex mutex_;
  // A set: a key changed several times while Redis was away is sent once. Its
  // size is bounded by the number of distinct cache keys, not by the writes.
  std::set<std::string> keys_;
  bool generation_bump_ = false;
  std::atomic<bool> any_{false};
};

}  // namespace emporium::cache::detail
