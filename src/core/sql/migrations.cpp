#include "core/sql/migrations.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>

namespace emporium::sql {
namespace {

// One text for both dialects: the statements below are plain SQL-92.
constexpr Query kCreateTable{
    "schema_migrations.create",
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"};
constexpr Query kSelectAll{"schema_migrations.select_all",
                           "SELECT version, name, checksum FROM schema_migrations"};
constexpr Query kSelectChecksum{"schema_migrations.select_checksum",
                                "SELECT checksum FROM schema_migrations WHERE version = $1"};
constexpr Query kInsert{"schema_migrations.insert",
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                        "VALUES ($1, $2, $3, $4)"};
// Held until the transaction ends. SQLite needs no such lock: BEGIN
// IMMEDIATE already admits one writer per file at a time.
constexpr Query kLock{"schema_migrations.lock", "SELECT pg_advisory_xact_lock($1::bigint)"};
constexpr Query kNoStatementTimeout{"schema_migrations.no_timeout",
                                    "SET LOCAL statement_timeout = 0"};

struct Recorded {
  std::string name;
  std::string checksum;
};

std::string label(const MigrationSet& set, std::string_view file) {
  return "migration " + std::string(set.service) + "/" + std::string(file);
}

Error migrationError(const std::string& message) { return {ErrorKind::kMigration, message}; }

// The advisory-lock key: stable across builds and processes, unlike std::hash.
std::int64_t lockKey(std::string_view service) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  const std::string input = "emporium.migrations/" + std::string(service);
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | digest[i];
  return static_cast<std::int64_t>(key);
}

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  const std::size_t size = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buffer, size};
}

void checkOrder(const MigrationSet& set, Dialect dialect, const std::vector<Migration>& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].version <= 0 || (i > 0 && list[i].version <= list[i - 1].version)) {
      throw migrationError(label(set, list[i].name) + " (" + std::string(dialectName(dialect)) +
                           "): versions must be positive, unique and ascending");
    }
  }
}

// Throws unless every recorded migration is one of `list`, unchanged, and
// every pending one is newer than the newest recorded.
void verify(const MigrationSet& set, const std::vector<Migration>& list,
            const std::map<int, Recorded>& recorded) {
  for (const auto& entry : recorded) {
    const int version = entry.first;
    const Recorded& row = entry.second;
    const auto known = std::find_if(list.begin(), list.end(),
                                    [version](const Migration& m) { return m.version == version; });
    if (known == list.end()) {
      throw migrationError(label(set, row.name) + " (version " + std::to_string(version) +
                           ") is recorded as applied but this binary does not know it");
    }
    if (sha256Hex(known->sql) != row.checksum) {
      throw migrationError(label(set, known->name) +
                           " was changed after it was applied (checksum mismatch)");
    }
  }
  const int newest = recorded.empty() ? 0 : recorded.rbegin()->first;
  for (const Migration& migration : list) {
    if (migration.version < newest && recorded.count(migration.version) == 0) {
      throw migrationError(label(set, migration.name) + " is pending but version " +
                           std::to_string(newest) +
                           " is already applied; number new migrations above the newest");
    }
  }
}

}  // namespace

std::string sha256Hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return {hex, crypto_hash_sha256_BYTES * 2};
}

MigrationReport applyMigrations(Database& db, const MigrationSet& set) {
  if (sodium_init() < 0) throw migrationError("libsodium failed to initialise");
  const Dialect dialect = db.dialect();
  const bool postgres = dialect == Dialect::kPostgres;
  const std::vector<Migration>& list = postgres ? set.postgres : set.sqlite;
  checkOrder(set, dialect, list);
  const std::int64_t lock_key = lockKey(set.service);
  const auto lock = [&](Session& session) {
    if (!postgres) return;
    session.execute(kLock, {lock_key});
    // Building an index over a big table may rightly take longer than the
    // statement timeout request traffic runs under.
    session.execute(kNoStatementTimeout);
  };

  // Under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide
  // in PostgreSQL's catalog.
  db.write([&](Session& session) {
    lock(session);
    session.execute(kCreateTable);
  });
  const std::map<int, Recorded> recorded = db.read([](Session& session) {
    std::map<int, Recorded> rows;
    for (const Row& row : session.execute(kSelectAll)) {
      rows.emplace(static_cast<int>(row.getInt64(0)), Recorded{row.getText(1), row.getText(2)});
    }
    return rows;
  });
  verify(set, list, recorded);

  MigrationReport report;
  report.current_version = recorded.empty() ? 0 : recorded.rbegin()->first;
  for (const Migration& migration : list) {
    if (recorded.count(migration.version) != 0) continue;
    const std::string checksum = sha256Hex(migration.sql);
    bool applied = false;
    try {
      applied = db.write([&](Session& session) {
        lock(session);
        // Another process may have applied it since `recorded` was read.
        const Result existing =
            session.execute(kSelectChecksum, {static_cast<std::int64_t>(migration.version)});
        if (!existing.empty()) {
          if (existing[0].getText(0) != checksum) {
            throw migrationError(label(set, migration.name) +
                                 " was changed after it was applied (checksum mismatch)");
          }
          return false;
        }
        session.executeScript(migration.sql);
        const std::string applied_at = utcNow();
        session.execute(kInsert, {static_cast<std::int64_t>(migration.version), migration.name,
                                  std::string_view(checksum), std::string_view(applied_at)});
        return true;
      });
    } catch (const Error& error) {
      if (error.kind() == ErrorKind::kMigration) throw;
      const bool transient =
          error.kind() == ErrorKind::kConnection || error.kind() == ErrorKind::kBusy;
      throw Error(transient ? error.kind() : ErrorKind::kMigration,
                  label(set, migration.name) + " failed: " + error.what());
    }
    if (applied) report.applied.push_back(migration.version);
    report.current_version = std::max(report.current_version, migration.version);
  }
  return report;
}

}  // namespace emporium::sql
