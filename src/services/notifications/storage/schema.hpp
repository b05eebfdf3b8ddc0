#pragma once
// The notifications service's database schema: its embedded migrations,
// generated from storage/migrations at build time.

#include "core/sql/migrations.hpp"

namespace emporium::notifications {

/// processed_events and sent_mail (generated from storage/migrations).
const sql::MigrationSet& migrations();

}  // namespace emporium::notifications
