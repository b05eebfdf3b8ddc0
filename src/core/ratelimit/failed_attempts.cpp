#include "core/ratelimit/failed_attempts.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

namespace emporium::ratelimit {
namespace {

// Stale failures are deleted at most this often per process.
constexpr std::int64_t kPurgeEverySeconds = 60;

std::string randomId() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, (sizeof bytes * 2) + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return {hex.data()};
}

}  // namespace

FailureLedger::FailureLedger(sql::Database& db, std::string_view prefix) : db_(db) {
  const std::string failures = std::string(prefix) + "_failures";
  const std::string scopes = std::string(prefix) + "_scopes";
  // A no-op upsert: creates the scope's row or takes its row lock, which the
  // transaction holds until it commits (SQLite's single writer serialises anyway).
  q_.lock_name = scopes + ".lock";
  q_.lock = "INSERT INTO " + scopes + " (scope) VALUES ($1) ON CONFLICT (scope) DO UPDATE SET " +
            "scope = excluded.scope";
  q_.insert_name = failures + ".insert";
  q_.insert = "INSERT INTO " + failures + " (attempt_id, scope, failed_at) VALUES ($1, $2, $3)";
  q_.count_name = failures + ".count";
  q_.count = "SELECT COUNT(*), COALESCE(MIN(failed_at), 0) FROM " + failures +
             " WHERE scope = $1 AND failed_at > $2";
  q_.release_name = failures + ".release";
  q_.release = "DELETE FROM " + failures + " WHERE attempt_id = $1";
  q_.purge_failures_name = failures + ".purge";
  q_.purge_failures = "DELETE FROM " + failures + " WHERE failed_at <= $1";
  q_.purge_scopes_name = scopes + ".purge";
  q_.purge_scopes = "DELETE FROM " + scopes + " WHERE NOT EXISTS (SELECT 1 FROM " + failures +
                    " f WHERE f.scope = " + scopes + ".scope)";
}

std::vector<ScopeCount> FailureLedger::reserve(const std::string& attempt_id,
                                               std::vector<ScopeLimit> scopes, std::int64_t at,
                                               std::int64_t since) {
  // One lock order for every transaction, so two attempts never deadlock.
  std::sort(scopes.begin(), scopes.end(),
            [](const ScopeLimit& a, const ScopeLimit& b) { return a.scope < b.scope; });
  const sql::Query lock{q_.lock_name, q_.lock};
  const sql::Query insert{q_.insert_name, q_.insert};
  const sql::Query count{q_.count_name, q_.count};
  const sql::Query release{q_.release_name, q_.release};
  return db_.write([&](sql::Session& s) {
    std::vector<ScopeCount> counts;
    bool over = false;
    for (const auto& [scope, max_failures] : scopes) {
      s.execute(lock, {scope});
      s.execute(insert, {attempt_id, scope, at});
      const auto rows = s.execute(count, {scope, since});
      counts.push_back({scope, rows[0].getInt64(0), rows[0].getInt64(1)});
      over = over || counts.back().failures > max_failures;
    }
    if (over) s.execute(release, {attempt_id});
    return counts;
  });
}

void FailureLedger::release(const std::string& attempt_id) {
  const sql::Query release{q_.release_name, q_.release};
  db_.write([&](sql::Session& s) { s.execute(release, {attempt_id}); });
}

void FailureLedger::purge(std::int64_t cutoff) {
  const sql::Query failures{q_.purge_failures_name, q_.purge_failures};
  const sql::Query scopes{q_.purge_scopes_name, q_.purge_scopes};
  db_.write([&](sql::Session& s) {
    s.execute(failures, {cutoff});
    s.execute(scopes);
  });
}

FailedAttempts::Clock FailedAttempts::systemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

FailedAttempts::FailedAttempts(FailureLedger& ledger, std::chrono::seconds window, Clock clock)
    : ledger_(ledger), window_(window), clock_(std::move(clock)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::variant<AttemptAdmission, AttemptRefusal> FailedAttempts::admit(
    std::vector<ScopeLimit> scopes) {
  const std::int64_t now = clock_();
  const std::int64_t window = window_.count();
  if (auto last = purged_at_.load();
      now - last >= kPurgeEverySeconds && purged_at_.compare_exchange_strong(last, now)) {
    ledger_.purge(now - window);
  }
  AttemptAdmission admission{randomId()};
  const auto limits = scopes;
  const auto counts = ledger_.reserve(admission.attempt_id, std::move(scopes), now, now - window);
  bool over = false;
  std::int64_t retry_after = 1;
  for (const auto& count : counts) {
    const auto limit = std::find_if(limits.begin(), limits.end(),
                                    [&](const ScopeLimit& l) { return l.scope == count.scope; });
    if (limit == limits.end() || count.failures <= limit->max_failures) continue;
    over = true;
    // The oldest failure leaves the window first and frees one attempt.
    retry_after = std::max(retry_after, count.oldest_at + window - now);
  }
  if (over) return AttemptRefusal{std::chrono::seconds(retry_after)};
  return admission;
}

void FailedAttempts::succeeded(const AttemptAdmission& admission) {
  ledger_.release(admission.attempt_id);
}

}  // namespace emporium::ratelimit
