#pragma once
// Failed attempts counted in a sliding window per scope, in a service's own
// database, so every process of the service shares the counts (SQLite or
// PostgreSQL alike). Unlike a token bucket it is charged by failures only: an
// attempt is recorded as a failure before it is checked (so concurrent
// guesses cannot pass the cap together) and forgotten when it succeeds.
// Used by sign-in (users) and gift-card redemption (payments); each names its
// own pair of tables, "<prefix>_failures" and "<prefix>_scopes", of the shape
// of the users service's 0007_sign_in_guard.sql.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/sql/database.hpp"

namespace emporium::ratelimit {

/// A scope an attempt counts against, and how many failures it may hold.
struct ScopeLimit {
  std::string scope;
  std::int64_t max_failures = 0;
};

/// Failures of one scope inside the window, counting the attempt just made.
struct ScopeCount {
  std::string scope;
  std::int64_t failures = 0;
  std::int64_t oldest_at = 0;  // seconds since the epoch, of the oldest counted failure
};

/// The SQL side: one row per (attempt, scope) failure, and one lock row per scope.
class FailureLedger {
 public:
  /// Uses the tables <prefix>_failures and <prefix>_scopes of db.
  FailureLedger(sql::Database& db, std::string_view prefix);

  /// Records attempt_id as a failure of every scope at `at` and counts each
  /// scope's failures after `since`, in one transaction serialised per scope:
  /// of attempts racing on a scope, each sees those before it. When a count
  /// exceeds its scope's max_failures the attempt's rows are removed again (a
  /// refused attempt is no guess); the counts are returned either way.
  std::vector<ScopeCount> reserve(const std::string& attempt_id, std::vector<ScopeLimit> scopes,
                                  std::int64_t at, std::int64_t since);
  /// Deletes an attempt's rows: it succeeded, so it was no failure.
  void release(const std::string& attempt_id);
  /// Deletes failures at or before `cutoff`, and scopes left without any.
  void purge(std::int64_t cutoff);

 private:
  struct Queries {
    std::string lock_name, lock, insert_name, insert, count_name, count, release_name, release,
        purge_failures_name, purge_failures, purge_scopes_name, purge_scopes;
  };
  sql::Database& db_;
  Queries q_;
};

/// An attempt let through: report a success with FailedAttempts::succeeded().
struct AttemptAdmission {
  std::string attempt_id;
};

/// An attempt held back, and when the oldest failure leaves the window.
struct AttemptRefusal {
  std::chrono::seconds retry_after{0};
};

/// The policy side: admits an attempt against its scopes' caps, or refuses it.
class FailedAttempts {
 public:
  /// Seconds since the epoch.
  using Clock = std::function<std::int64_t()>;

  FailedAttempts(FailureLedger& ledger, std::chrono::seconds window, Clock clock = systemClock());

  /// Counts the attempt as a failure of every scope, or refuses it (nothing
  /// counted) when one of them is over its cap. Throws sql::Error.
  std::variant<AttemptAdmission, AttemptRefusal> admit(std::vector<ScopeLimit> scopes);
  /// The attempt succeeded: it is no failure.
  void succeeded(const AttemptAdmission& admission);

  std::chrono::seconds window() const { return window_; }
  static Clock systemClock();

 private:
  FailureLedger& ledger_;
  std::chrono::seconds window_;
  Clock clock_;
  std::atomic<std::int64_t> purged_at_{0};
};

}  // namespace emporium::ratelimit
