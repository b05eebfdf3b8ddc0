#pragma once
// The orders service's database schema: its embedded migrations, generated
// from storage/migrations at build time.

#include "core/sql/migrations.hpp"

namespace emporium::orders {

const sql::MigrationSet& migrations();

}  // namespace emporium::orders
