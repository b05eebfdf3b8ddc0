#pragma once
// The cart service's database schema: its embedded migrations, generated
// from storage/migrations at build time.

#include "core/sql/migrations.hpp"

namespace emporium::cart {

/// The cart service's embedded migrations (generated from storage/migrations).
const sql::MigrationSet& migrations();

}  // namespace emporium::cart
