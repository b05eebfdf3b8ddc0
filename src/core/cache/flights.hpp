#pragma once
// Internal to emporium_cache: request coalescing (singleflight), and the marks
// that keep a load from storing a value an invalidation has overtaken.

#include <future>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/cache/entry.hpp"

namespace emporium::cache::detail {

/// One load of one key, waited for by every caller that joined it.
class Flight {
 public:
  std::promise<std::shared_ptr<const Entry>> promise;
  std::shared_future<std::shared_ptr<const Entry>> result = promise.get_future().share();

 private:
  friend class Flights;
  // Written under the exclusive lock on Flights::marks_mutex_, read under the shared one.
  bool invalidated_ = false;  // its key was invalidated while it was in flight
  bool cleared_ = false;      // the whole L4 was cleared while it was in flight
};

class Flights {
 public:
  struct Ticket {
    std::shared_ptr<Flight> flight;
    bool leader = false;  // this caller must load, store, leave() and fulfil the promise
  };

  /// Joins the load in flight for key, or starts one with the caller as leader.
  /// A leader must read its value (L3, loader) only after this.
  Ticket join(std::string_view key) {
    const std::lock_guard lock(flights_mutex_);
    const auto found = flights_.find(key);
    if (found != flights_.end()) return {found->second, false};
    auto flight = std::make_shared<Flight>();
    flights_.emplace(std::string(key), flight);
    return {std::move(flight), true};
  }

  /// Leader: no longer joinable (unless an invalidation detached it already).
  void leave(std::string_view key, const std::shared_ptr<Flight>& flight) {
    const std::lock_guard lock(flights_mutex_);
    const auto found = flights_.find(key);
    if (found != flights_.end() && found->second == flight) flights_.erase(found);
  }

  /// Runs store() unless the flight's key was invalidated or the cache cleared
  /// since join(); neither can happen meanwhile. True when it stored.
  template <typename Store>
  bool storeIfCurrent(const Flight& flight, Store&& store) {
    const std::shared_lock lock(marks_mutex_);
    if (flight.invalidated_ || flight.cleared_) return false;
    std::forward<Store>(store)();
    return true;
  }

  /// Whether the flight's key was invalidated since join().
  bool invalidated(const Flight& flight) const {
    const std::shared_lock lock(marks_mutex_);
    return flight.invalidated_;
  }

  /// Runs drop() and marks the loads in flight for keys, with no store in between;
  /// detaches those loads too, so that callers from now on start a fresh load
  /// instead of joining one that may have read the old value.
  template <typename Drop>
  void invalidate(std::span<const std::string> keys, Drop&& drop) {
    const std::unique_lock marks(marks_mutex_);
    std::forward<Drop>(drop)();
    const std::lock_guard lock(flights_mutex_);
    for (const std::string& key : keys) {
      const auto found = flights_.find(std::string_view(key));
      if (found == flights_.end()) continue;
      found->second->invalidated_ = true;
      flights_.erase(found);
    }
  }

  /// As invalidate() for every key, but marking the loads as cleared.
  template <typename Drop>
  void clear(Drop&& drop) {
    const std::unique_lock marks(marks_mutex_);
    std::forward<Drop>(drop)();
    const std::lock_guard lock(flights_mutex_);
    for (const auto& [key, flight] : flights_) flight->cleared_ = true;
    flights_.clear();
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };

  // Lock order: marks_mutex_, then flights_mutex_ (join/leave take only the latter).
  mutable std::shared_mutex marks_mutex_;
  std::mutex flights_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Flight>, Hash, std::equal_to<>> flights_;
};

}  // namespace emporium::cache::detail
