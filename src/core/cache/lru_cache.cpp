#include "core/cache/lru_cache.hpp"

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace emporium::cache {
namespace {

std::size_t costOf(std::string_view key, const Entry& entry) {
  return key.size() + entry.body.size() + entry.etag.size();
}

}  // namespace

struct LruCache::Shard {
  struct Node {
    std::string key;
    std::shared_ptr<const Entry> value;
    std::chrono::steady_clock::time_point expires_at;
    std::size_t cost = 0;
  };
  using List = std::list<Node>;

  // Most recently used first. The index's keys view the nodes' own strings,
  // which std::list never moves, so each key is stored once.
  List order;
  std::unordered_map<std::string_view, List::iterator> index;
  std::size_t bytes = 0;
  mutable std::mutex mutex;
  // Read without the lock by bytes()/evictions() for metrics.
  std::atomic<std::size_t> bytes_seen{0};
  std::atomic<std::size_t> size_seen{0};
  std::atomic<std::uint64_t> evictions{0};

  // Callers hold the mutex.
  void unlink(List::iterator node) {
    bytes -= node->cost;
    index.erase(node->key);
    order.erase(node);
  }
  void publish() {
    bytes_seen.store(bytes, std::memory_order_relaxed);
    size_seen.store(index.size(), std::memory_order_relaxed);
  }
};

LruCache::LruCache(std::size_t max_bytes, std::size_t shards, ClockFn clock)
    : shard_max_bytes_(max_bytes / std::max<std::size_t>(1, shards)), clock_(std::move(clock)) {
  shards = std::max<std::size_t>(1, shards);
  shards_.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

LruCache::~LruCache() = default;

LruCache::Shard& LruCache::shardFor(std::string_view key) const {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

std::chrono::steady_clock::time_point LruCache::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

std::shared_ptr<const Entry> LruCache::get(std::string_view key) {
  const auto time = now();
  Shard& shard = shardFor(key);
  const std::lock_guard lock(shard.mutex);
  const auto found = shard.index.find(key);
  if (found == shard.index.end()) return nullptr;
  const auto node = found->second;
  if (time >= node->expires_at) {
    shard.unlink(node);
    shard.publish();
    return nullptr;
  }
  shard.order.splice(shard.order.begin(), shard.order, node);
  return node->value;
}

void LruCache::put(std::string_view key, std::shared_ptr<const Entry> value,
                   std::chrono::steady_clock::duration ttl) {
  const std::size_t cost = value ? costOf(key, *value) : 0;
  const bool keep = value && ttl.count() > 0 && cost <= shard_max_bytes_;
  const auto expires_at = now() + ttl;
  Shard& shard = shardFor(key);
  // The replaced and evicted values are released after the lock: their last
  // reference may free a large body.
  std::vector<std::shared_ptr<const Entry>> released;
  {
    const std::lock_guard lock(shard.mutex);
    const auto found = shard.index.find(key);
    if (found != shard.index.end()) {
      const auto node = found->second;
      if (!keep) {
        released.push_back(std::move(node->value));
        shard.unlink(node);
        shard.publish();
        return;
      }
      shard.bytes = shard.bytes - node->cost + cost;
      released.push_back(std::exchange(node->value, std::move(value)));
      node->cost = cost;
      node->expires_at = expires_at;
      shard.order.splice(shard.order.begin(), shard.order, node);
    } else {
      if (!keep) return;
      shard.order.push_front(Shard::Node{std::string(key), std::move(value), expires_at, cost});
      shard.index.emplace(shard.order.front().key, shard.order.begin());
      shard.bytes += cost;
    }
    // The new entry is at the front and fits alone, so this stops before reaching it.
    while (shard.bytes > shard_max_bytes_) {
      const auto victim = std::prev(shard.order.end());
      released.push_back(std::move(victim->value));
      shard.unlink(victim);
      shard.evictions.fetch_add(1, std::memory_order_relaxed);
    }
    shard.publish();
  }
}

bool LruCache::erase(std::string_view key) {
  Shard& shard = shardFor(key);
  std::shared_ptr<const Entry> released;
  const std::lock_guard lock(shard.mutex);
  const auto found = shard.index.find(key);
  if (found == shard.index.end()) return false;
  released = std::move(found->second->value);
  shard.unlink(found->second);
  shard.publish();
  return true;
}

void LruCache::clear() {
  for (const auto& shard : shards_) {
    Shard::List released;
    {
      const std::lock_guard lock(shard->mutex);
      shard->index.clear();
      released.swap(shard->order);
      shard->bytes = 0;
      shard->publish();
    }
  }
}

std::size_t LruCache::bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) total += shard->bytes_seen.load(std::memory_order_relaxed);
  return total;
}

std::size_t LruCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) total += shard->size_seen.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t LruCache::evictions() const {
  std::uint64_t total = 0;
  for (const auto& shard : shards_) total += shard->evictions.load(std::memory_order_relaxed);
  return total;
}

}  // namespace emporium::cache
