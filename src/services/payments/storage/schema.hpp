#pragma once
// The payments service's database schema: its embedded migrations, generated
// from storage/migrations at build time.

#include "core/sql/migrations.hpp"

namespace emporium::payments {

/// The payments service's embedded migrations (generated from storage/migrations).
const sql::MigrationSet& migrations();

}  // namespace emporium::payments
