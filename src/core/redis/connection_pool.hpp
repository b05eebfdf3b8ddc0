#pragma once
// A bounded pool of blocking hiredis connections behind a breaker, shared by
// the Redis rate limiter and the Redis cache tier. Redis must never take the
// shop down with it: after a failure it is skipped for a backoff period
// (doubling on each failed retry up to a maximum) before one caller probes it
// again, so a dead or slow Redis costs one timeout per backoff period, not one
// per request. A failure also bumps the pool's generation: connections leased
// before it are closed when given back instead of being reused.
//
// Header-only for the pool (it holds the caller's connection type, which may
// stay incomplete where the pool is only declared); hiredis stays out of it.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/resilience/breaker.hpp"

struct redisContext;

namespace emporium::redis {

/// Whether the context saw an error (I/O, timeout, protocol) that leaves it unusable.
bool contextBroken(const redisContext& context);

/// Skips Redis for a while after it fails: the first failure opens it, each
/// failed probe doubles the backoff up to PoolOptions::max_backoff.
using Breaker = resilience::Breaker;

struct PoolOptions {
  /// Connections kept open at most (at least 1).
  std::size_t pool_size = 4;
  /// How long acquire() waits for an idle connection or a free slot.
  std::chrono::milliseconds acquire_timeout{100};
  /// Redis is skipped this long after a failure, doubling on each failed retry up to max_backoff.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
};

/// What an operation run on a pooled connection came to.
enum class Outcome : std::uint8_t {
  kOk,
  kReplyError,  // Redis answered (so it is up), but the operation did not happen
  kFailed,      // I/O error, timeout or an unusable answer: drop the connection, blame Redis
};

/// Connection is the caller's type: it has `context` (a pointer to its redisContext)
/// and `bool closed_by_peer` (the last failure was the server closing the socket, not
/// a timeout). It may be incomplete where the pool is declared.
template <typename Connection>
class ConnectionPool {
 public:
  /// Opens one connection, or returns null (bounded by the caller's timeouts).
  using Connector = std::function<std::unique_ptr<Connection>()>;

  ConnectionPool(const PoolOptions& options, Connector connect)
      : pool_size_(std::max<std::size_t>(1, options.pool_size)),
        acquire_timeout_(options.acquire_timeout),
        connect_(std::move(connect)),
        breaker_({1, options.initial_backoff, options.max_backoff}) {}
  ~ConnectionPool() = default;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// One connection borrowed from the pool, given back (or closed, if it broke or
  /// predates a failure) when the lease ends.
  class Lease {
   public:
    enum class Status : std::uint8_t { kReady, kBusy, kFailed };

    explicit Lease(ConnectionPool& pool) : pool_(pool) {}
    ~Lease() {
      if (!holds_slot_) return;
      std::unique_ptr<Connection> closing;
      {
        const std::lock_guard lock(pool_.mutex_);
        if (connection_ && !contextBroken(*connection_->context) &&
            generation_ == pool_.generation_) {
          pool_.idle_.push_back(std::move(connection_));
        } else {
          --pool_.open_;
          closing = std::move(connection_);
        }
      }
      pool_.ready_.notify_one();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&&) = delete;
    Lease& operator=(Lease&&) = delete;

    /// Waits up to the acquire timeout for an idle connection or a free slot to open one in.
    Status acquire() {
      std::uint64_t generation = 0;
      {
        std::unique_lock lock(pool_.mutex_);
        const bool ready = pool_.ready_.wait_for(lock, pool_.acquire_timeout_, [&] {
          return !pool_.idle_.empty() || pool_.open_ < pool_.pool_size_;
        });
        if (!ready) return Status::kBusy;
        holds_slot_ = true;
        if (!pool_.idle_.empty()) {
          // Idle connections are all of the current generation: a bump drops them.
          connection_ = std::move(pool_.idle_.back());
          pool_.idle_.pop_back();
          generation_ = pool_.generation_;
          reused_ = true;
          return Status::kReady;
        }
        ++pool_.open_;
        generation = pool_.generation_;
      }
      return reconnectAt(generation) ? Status::kReady : Status::kFailed;
    }

    /// Replaces the connection with a new one, in the same slot of the pool.
    bool reconnect() {
      std::uint64_t generation = 0;
      {
        const std::lock_guard lock(pool_.mutex_);
        generation = pool_.generation_;
      }
      return reconnectAt(generation);
    }

    Connection& connection() { return *connection_; }
    /// Whether the connection sat in the pool before this lease (and may have gone stale).
    bool reused() const { return reused_; }
    void discard() { connection_.reset(); }

   private:
    bool reconnectAt(std::uint64_t generation) {
      reused_ = false;
      // Connecting takes a round trip or several: never under the pool lock.
      connection_ = pool_.connect_();
      generation_ = generation;
      return connection_ != nullptr;
    }

    ConnectionPool& pool_;
    std::unique_ptr<Connection> connection_;
    std::uint64_t generation_ = 0;  // the pool's generation when connection_ was leased
    bool holds_slot_ = false;       // counted in pool_.open_
    bool reused_ = false;
  };

  /// One attempt to connect, so that healthy() is true to fact from the start and a
  /// dead server is skipped from the first operation on.
  void probe() {
    Lease lease(*this);
    if (lease.acquire() == Lease::Status::kReady) {
      breaker_.onSuccess(Breaker::Admission::kProbe);
    } else {
      onFailure(Breaker::Admission::kProbe);
    }
  }

  /// op(Connection&) -> Outcome, through the breaker and the pool. True when op
  /// returned kOk; false when Redis was skipped, no connection was free, or op failed.
  /// A pooled connection the server closed is replaced once before Redis is blamed.
  template <typename Op>
  bool run(Op&& op) {
    const Breaker::Admission admission = breaker_.admit();
    if (admission == Breaker::Admission::kRejected) return false;
    Lease lease(*this);
    switch (lease.acquire()) {
      case Lease::Status::kReady:
        break;
      case Lease::Status::kBusy:
        breaker_.onBusy(admission);
        return false;
      case Lease::Status::kFailed:
        onFailure(admission);
        return false;
    }
    Outcome outcome = op(lease.connection());
    if (outcome == Outcome::kFailed && lease.reused() && lease.connection().closed_by_peer) {
      // A pooled connection that the server (since restarted) or a proxy's idle timeout
      // closed says nothing about Redis now: one fresh connection before blaming it. Not
      // after a timeout, which a retry would only double.
      if (lease.reconnect()) outcome = op(lease.connection());
    }
    switch (outcome) {
      case Outcome::kOk:
        breaker_.onSuccess(admission);
        return true;
      case Outcome::kReplyError:
        breaker_.onSuccess(admission);
        return false;
      case Outcome::kFailed:
        lease.discard();
        onFailure(admission);
        return false;
    }
    return false;
  }

  /// False from a Redis failure until Redis answers again.
  bool healthy() const { return breaker_.healthy(); }
  /// Ends the backoff: Redis is known to answer again (e.g. a subscriber reached it).
  void markUp() { breaker_.markUp(); }

 private:
  void onFailure(Breaker::Admission admission) {
    if (breaker_.onFailure(admission)) dropIdleConnections();
  }

  void dropIdleConnections() {
    std::vector<std::unique_ptr<Connection>> closing;
    {
      const std::lock_guard lock(mutex_);
      ++generation_;
      open_ -= idle_.size();
      closing.swap(idle_);
    }
    ready_.notify_all();
  }

  const std::size_t pool_size_;
  const std::chrono::milliseconds acquire_timeout_;
  const Connector connect_;
  Breaker breaker_;

  // Idle connections, and how many exist (idle or leased).
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
  // Bumped on a failure so that connections leased before it are not reused.
  std::uint64_t generation_ = 0;
};

}  // namespace emporium::redis
