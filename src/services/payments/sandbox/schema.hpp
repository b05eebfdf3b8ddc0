#pragma once
// The sandbox provider's database schema: its embedded migrations, generated
// from sandbox/migrations at build time (its own database, "sandbox").

#include "core/sql/migrations.hpp"

namespace emporium::payments::sandbox {

/// The sandbox provider's embedded migrations (generated from sandbox/migrations).
const sql::MigrationSet& migrations();

}  // namespace emporium::payments::sandbox
