#pragma once
// The inventory service's database schema: its embedded migrations, generated
// from storage/migrations at build time.

#include "core/sql/migrations.hpp"

namespace emporium::inventory {

/// The inventory service's embedded migrations (generated from storage/migrations).
const sql::MigrationSet& migrations();

}  // namespace emporium::inventory
