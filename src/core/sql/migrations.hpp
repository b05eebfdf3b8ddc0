#pragma once
// Schema migrations: numbered SQL files per dialect, embedded in the binary
// (cmake/EmbedMigrations.cmake) and applied at start-up.

#include <string>
#include <string_view>
#include <vector>

#include "core/sql/database.hpp"

namespace emporium::sql {

/// One migration file, e.g. {2, "0002_add_index.sql", "CREATE INDEX ..."}.
/// The text may hold several statements. It runs inside a transaction, so it
/// must not BEGIN or COMMIT, nor use what a transaction refuses (PostgreSQL's
/// CREATE INDEX CONCURRENTLY; SQLite's PRAGMA foreign_keys, a no-op there).
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

/// A service's migrations for both dialects, each list in ascending version.
struct MigrationSet {
  std::string_view service;
  std::vector<Migration> sqlite;
  std::vector<Migration> postgres;
};

struct MigrationReport {
  std::vector<int> applied;  // versions this call applied, ascending
  int current_version = 0;   // highest version applied after the call
};

/// Brings the database up to the newest migration of its dialect, recording
/// each one in schema_migrations(version, name, checksum, applied_at).
///
/// First checks what is recorded: a migration whose text changed since it was
/// applied (SHA-256 differs), one this binary does not know, or a pending one
/// numbered below an applied one throws Error{kMigration} naming
/// <service>/<file>. Each pending migration then runs in its own write()
/// transaction with its schema_migrations row, so it applies fully or not at
/// all. Safe when several processes start at once: each transaction
/// re-checks the version under a lock (BEGIN IMMEDIATE on SQLite, an
/// advisory lock on PostgreSQL). A failing migration throws Error{kMigration}
/// (kConnection / kBusy when the cause was one).
MigrationReport applyMigrations(Database& db, const MigrationSet& set);

/// Lowercase hex SHA-256 of `text`: the checksum recorded per migration.
std::string sha256Hex(std::string_view text);

}  // namespace emporium::sql
