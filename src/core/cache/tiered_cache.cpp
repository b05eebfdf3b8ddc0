#include "core/cache/tiered_cache.hpp"

#include <charconv>
#include <exception>
#include <random>
#include <utility>
#include <vector>

#include "core/cache/flights.hpp"
#include "core/cache/invalidation_subscriber.hpp"
#include "core/cache/pending_invalidations.hpp"
#include "core/cache/redis_tier.hpp"
#include "core/metrics/exposition.hpp"

namespace emporium::cache {
namespace {

// An entry in Redis: "v1\n" ETag "\n" body. The version lets a later format
// coexist with this one during a rolling deploy (an unknown one reads as a miss).
constexpr std::string_view kFormat = "v1\n";

std::string encodeEntry(const Entry& entry) {
  std::string out;
  out.reserve(kFormat.size() + entry.etag.size() + 1 + entry.body.size());
  out.append(kFormat).append(entry.etag).append(1, '\n').append(entry.body);
  return out;
}

std::shared_ptr<const Entry> decodeEntry(std::string_view stored) {
  if (!stored.starts_with(kFormat)) return nullptr;
  stored.remove_prefix(kFormat.size());
  const auto end = stored.find('\n');
  if (end == std::string_view::npos) return nullptr;
  const std::string_view etag = stored.substr(0, end);
  if (etag.size() < 2 || etag.front() != '"' || etag.back() != '"') return nullptr;
  return std::make_shared<const Entry>(
      Entry{std::string(stored.substr(end + 1)), std::string(etag)});
}

// Pub/sub messages: "k|<origin>|" then "<length>:<key>" per key, or
// "g|<origin>|<generation>". Length-prefixed, so keys may hold any byte.
std::string keysMessage(std::string_view origin, std::span<const std::string> keys) {
  std::string out = "k|";
  out.append(origin).append(1, '|');
  for (const std::string& key : keys) {
    out.append(std::to_string(key.size())).append(1, ':').append(key);
  }
  return out;
}

std::optional<std::vector<std::string>> parseKeys(std::string_view text) {
  std::vector<std::string> keys;
  while (!text.empty()) {
    std::size_t length = 0;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), length);
    if (parsed.ec != std::errc{} || parsed.ptr == text.data() + text.size() || *parsed.ptr != ':') {
      return std::nullopt;
    }
    text.remove_prefix(static_cast<std::size_t>(parsed.ptr - text.data()) + 1);
    if (length > text.size()) return std::nullopt;
    keys.emplace_back(text.substr(0, length));
    text.remove_prefix(length);
  }
  return keys;
}

std::string randomOrigin() {
  std::random_device random;
  const std::uint64_t value = (std::uint64_t{random()} << 32U) ^ random();
  std::string out(16, '0');
  constexpr std::string_view kHex = "0123456789abcdef";
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = kHex[(value >> (60 - 4 * i)) & 0xfU];
  return out;
}

}  // namespace

const Ttls& TtlTable::of(Kind kind) const {
  switch (kind) {
    case Kind::kProduct:
      return product;
    case Kind::kListing:
      return listing;
    case Kind::kCategories:
      return categories;
    case Kind::kReviews:
      return reviews;
  }
  return product;  // unreachable for a valid Kind
}

TieredCache::TieredCache(Options options)
    : options_(std::move(options)),
      origin_(randomOrigin()),
      l4_(options_.l4_max_bytes, options_.shards, options_.clock),
      flights_(std::make_unique<detail::Flights>()),
      pending_(std::make_unique<detail::PendingInvalidations>()) {
  if (!options_.redis_url) return;
  redis_ = std::make_unique<detail::RedisTier>(*options_.redis_url, options_.redis);
  if (const auto seen = redis_->readGeneration()) adoptGeneration(*seen);
  subscriber_ = std::make_unique<detail::InvalidationSubscriber>(
      redis_->endpoint(), options_.redis, redis_->channel(),
      detail::InvalidationSubscriber::Callbacks{
          [this] { onSubscribed(); }, [this](std::string_view payload) { onMessage(payload); },
          [this] { retryPending(); }});
}

TieredCache::~TieredCache() {
  // Before anything it calls back into goes.
  subscriber_.reset();
}

std::shared_ptr<const Entry> TieredCache::peekLocal(std::string_view key) const {
  auto entry = l4_.get(key);
  if (entry) l4_hits_.fetch_add(1, std::memory_order_relaxed);
  return entry;
}

std::shared_ptr<const Entry> TieredCache::getOrLoad(std::string_view key, Kind kind,
                                                    const std::function<std::string()>& load) {
  if (auto entry = l4_.get(key)) {
    l4_hits_.fetch_add(1, std::memory_order_relaxed);
    return entry;
  }
  l4_misses_.fetch_add(1, std::memory_order_relaxed);
  const detail::Flights::Ticket ticket = flights_->join(key);
  if (!ticket.leader) {
    coalesced_.fetch_add(1, std::memory_order_relaxed);
    return ticket.flight->result.get();  // rethrows the leader's exception
  }
  std::shared_ptr<const Entry> entry;
  try {
    entry = loadAsLeader(key, options_.ttls.of(kind), *ticket.flight, load);
  } catch (...) {
    flights_->leave(key, ticket.flight);
    ticket.flight->promise.set_exception(std::current_exception());
    throw;
  }
  flights_->leave(key, ticket.flight);
  ticket.flight->promise.set_value(entry);
  return entry;
}

std::shared_ptr<const Entry> TieredCache::loadAsLeader(std::string_view key, const Ttls& ttls,
                                                       const detail::Flight& flight,
                                                       const std::function<std::string()>& load) {
  // The previous leader may have stored it between our miss and our join.
  if (auto entry = l4_.get(key)) return entry;
  std::shared_ptr<const Entry> entry;
  bool stored_in_l3 = false;
  if (redis_) {
    const detail::RedisTier::Lookup lookup = redis_->get(key);
    if (lookup.value) entry = decodeEntry(*lookup.value);
    // Not counted when Redis did not answer: that is a redis error, not a miss.
    if (entry) {
      l3_hits_.fetch_add(1, std::memory_order_relaxed);
    } else if (lookup.ok) {
      l3_misses_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!entry) {
    loads_.fetch_add(1, std::memory_order_relaxed);
    std::string body = load();
    std::string etag = makeEtag(body);
    entry = std::make_shared<const Entry>(Entry{std::move(body), std::move(etag)});
    if (redis_ && ttls.l3.count() > 0) {
      stored_in_l3 = redis_->set(key, encodeEntry(*entry), ttls.l3);
    }
  }
  flights_->storeIfCurrent(flight, [&] { l4_.put(key, entry, ttls.l4); });
  // The key was invalidated while we read it. The invalidation's DEL may have reached
  // Redis before our SET, leaving there the value it meant to drop: take ours back.
  // (An invalidation after this check DELs after our SET anyway.)
  if (stored_in_l3 && flights_->invalidated(flight)) redis_->remove(key);
  return entry;
}

void TieredCache::invalidate(std::span<const std::string> keys) {
  if (keys.empty()) return;
  invalidations_.fetch_add(keys.size(), std::memory_order_relaxed);
  // Marks loads in flight before the DEL in Redis: see loadAsLeader for why.
  dropLocal(keys);
  if (redis_ && !redis_->invalidate(keys, keysMessage(origin_, keys))) pending_->addKeys(keys);
}

void TieredCache::dropLocal(std::span<const std::string> keys) {
  flights_->invalidate(keys, [&] {
    for (const std::string& key : keys) l4_.erase(key);
  });
}

std::uint64_t TieredCache::generation() const {
  return generation_.load(std::memory_order_acquire);
}

std::string TieredCache::generationMessagePrefix() const {
  std::string prefix = "g|";
  prefix.append(origin_).append(1, '|');
  return prefix;
}

void TieredCache::bumpGeneration() {
  if (redis_) {
    if (const auto value = redis_->bumpGeneration(generation(), generationMessagePrefix())) {
      adoptGeneration(*value);
      pending_->generationBumpSent();
      return;
    }
    // Redis catches up in retryPending: the bump there starts above this process's value.
    pending_->addGenerationBump();
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void TieredCache::retryPending() {
  if (!redis_ || !pending_->any()) return;
  // While Redis is in its backoff every try is refused (and counted as an
  // error): try about once per backoff step then, every tick once it answers.
  const auto now = std::chrono::steady_clock::now();
  if (!redis_->up() && now - last_retry_ < options_.redis.initial_backoff) return;
  last_retry_ = now;
  detail::PendingInvalidations::Batch batch = pending_->take();
  if (batch.generation_bump) {
    if (const auto value = redis_->bumpGeneration(generation(), generationMessagePrefix())) {
      adoptGeneration(*value);
      batch.generation_bump = false;
    }
  }
  if (!batch.keys.empty() && redis_->invalidate(batch.keys, keysMessage(origin_, batch.keys))) {
    batch.keys.clear();
  }
  pending_->giveBack(std::move(batch));
}

void TieredCache::adoptGeneration(std::uint64_t seen) {
  std::uint64_t current = generation_.load(std::memory_order_acquire);
  while (current < seen &&
         !generation_.compare_exchange_weak(current, seen, std::memory_order_acq_rel)) {
  }
}

void TieredCache::clearLocal() {
  flights_->clear([&] { l4_.clear(); });
}

void TieredCache::onSubscribed() {
  redis_->markUp();
  if (const auto seen = redis_->readGeneration()) adoptGeneration(*seen);
  // Messages published while we were not subscribed are lost for good, so any L4
  // entry may have been invalidated elsewhere meanwhile. Dropping them all costs a
  // round of L3 lookups; keeping them could serve stale pages for an L4 TTL.
  clearLocal();
  // And what this process could not send while Redis was away goes out now.
  retryPending();
}

void TieredCache::onMessage(std::string_view payload) {
  if (payload.size() < 2 || payload[1] != '|') return;
  const char type = payload[0];
  payload.remove_prefix(2);
  const auto bar = payload.find('|');
  if (bar == std::string_view::npos) return;
  const std::string_view origin = payload.substr(0, bar);
  const std::string_view rest = payload.substr(bar + 1);
  if (type == 'g') {
    std::uint64_t seen = 0;
    const auto parsed = std::from_chars(rest.data(), rest.data() + rest.size(), seen);
    if (parsed.ec == std::errc{} && parsed.ptr == rest.data() + rest.size()) adoptGeneration(seen);
  } else if (type == 'k' && origin != origin_) {
    const auto keys = parseKeys(rest);
    if (!keys || keys->empty()) return;
    invalidations_.fetch_add(keys->size(), std::memory_order_relaxed);
    dropLocal(*keys);
  }
}

CacheStats TieredCache::stats() const {
  CacheStats stats;
  stats.l4_hits = l4_hits_.load(std::memory_order_relaxed);
  stats.l4_misses = l4_misses_.load(std::memory_order_relaxed);
  stats.l3_hits = l3_hits_.load(std::memory_order_relaxed);
  stats.l3_misses = l3_misses_.load(std::memory_order_relaxed);
  stats.evictions = l4_.evictions();
  stats.coalesced = coalesced_.load(std::memory_order_relaxed);
  stats.loads = loads_.load(std::memory_order_relaxed);
  stats.redis_errors = redis_ ? redis_->errors() : 0;
  stats.invalidations = invalidations_.load(std::memory_order_relaxed);
  stats.l4_bytes = l4_.bytes();
  stats.l4_entries = l4_.size();
  stats.generation = generation();
  stats.redis_up = redis_ && redis_->up();
  stats.subscriber_up = subscriber_ && subscriber_->subscribed();
  return stats;
}

void TieredCache::collect(metrics::Exposition& out) const {
  const CacheStats s = stats();
  constexpr std::string_view kHits = "emporium_cache_hits_total";
  constexpr std::string_view kHitsHelp = "Cache lookups answered, per tier.";
  out.counter(kHits, kHitsHelp, s.l4_hits, {{"tier", "l4"}});
  out.counter(kHits, kHitsHelp, s.l3_hits, {{"tier", "l3"}});
  constexpr std::string_view kMisses = "emporium_cache_misses_total";
  constexpr std::string_view kMissesHelp = "Cache lookups not answered, per tier.";
  out.counter(kMisses, kMissesHelp, s.l4_misses, {{"tier", "l4"}});
  out.counter(kMisses, kMissesHelp, s.l3_misses, {{"tier", "l3"}});
  out.counter("emporium_cache_evictions_total", "L4 entries dropped to make room.", s.evictions);
  out.counter("emporium_cache_coalesced_total",
              "Cache misses that waited for a load of the same key already under way.",
              s.coalesced);
  out.counter("emporium_cache_loads_total", "Values computed by the loader on a cache miss.",
              s.loads);
  out.counter("emporium_cache_redis_errors_total",
              "Redis cache operations that failed or were skipped because Redis was down or slow.",
              s.redis_errors);
  out.counter("emporium_cache_invalidations_total", "Keys invalidated, here or by another process.",
              s.invalidations);
  out.gauge("emporium_cache_l4_bytes", "Bytes held by the in-process cache.",
            static_cast<double>(s.l4_bytes));
  out.gauge("emporium_cache_l4_entries", "Entries held by the in-process cache.",
            static_cast<double>(s.l4_entries));
  out.gauge("emporium_cache_generation", "The listing generation in use.",
            static_cast<double>(s.generation));
  if (!redis_) return;
  out.gauge("emporium_cache_redis_up", "1 while Redis answers cache operations.",
            s.redis_up ? 1 : 0);
  out.gauge("emporium_cache_subscriber_up", "1 while subscribed to cache invalidations.",
            s.subscriber_up ? 1 : 0);
}

}  // namespace emporium::cache
