#include <memory>

#include "core/sql/database.hpp"
#include "core/sql/postgres_database.hpp"
#include "core/sql/sqlite_database.hpp"

namespace emporium::sql {

std::unique_ptr<Database> openDatabase(const DatabaseOptions& options) {
  if (options.postgres_url.has_value()) return std::make_unique<PostgresDatabase>(options);
  return std::make_unique<SqliteDatabase>(options);
}

}  // namespace emporium::sql
