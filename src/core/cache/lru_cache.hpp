#pragma once
// The in-process tier (L4): a sharded LRU bounded in bytes, with a TTL per entry.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/cache/entry.hpp"

namespace emporium::cache {

/// Where an LruCache reads the time for TTLs; tests inject a fake one.
using ClockFn = std::function<std::chrono::steady_clock::time_point()>;

/// A map from key to Entry, least recently used first out. Split into shards,
/// each with its own mutex and an equal share of the byte budget, so that
/// threads looking up different keys rarely wait for each other. An entry
/// costs key.size() + body.size() + etag.size() bytes (the bookkeeping around
/// it is not counted). Thread-safe.
class LruCache {
 public:
  /// max_bytes is split evenly over shards (at least 1); an entry bigger than
  /// one shard's share is never kept. clock defaults to steady_clock::now.
  LruCache(std::size_t max_bytes, std::size_t shards, ClockFn clock = {});
  ~LruCache();
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  /// The entry, and marks it most recently used; null when absent or expired
  /// (an expired entry is dropped here).
  std::shared_ptr<const Entry> get(std::string_view key);
  /// Stores or replaces key's entry for ttl, evicting least recently used
  /// entries of the shard until it fits. A ttl <= 0 or an entry too big to
  /// keep only drops what key held before, so no older value outlives it.
  void put(std::string_view key, std::shared_ptr<const Entry> value,
           std::chrono::steady_clock::duration ttl);
  /// Drops key; true when it was there.
  bool erase(std::string_view key);
  void clear();

  /// Bytes held, as counted above (expired entries count until dropped).
  std::size_t bytes() const;
  std::size_t size() const;
  /// Entries dropped to make room since construction (not expirations).
  std::uint64_t evictions() const;

 private:
  struct Shard;
  Shard& shardFor(std::string_view key) const;
  std::chrono::steady_clock::time_point now() const;

  std::vector<std::unique_ptr<Shard>> shards_;
  std::size_t shard_max_bytes_;
  ClockFn clock_;
};

}  // namespace emporium::cache
