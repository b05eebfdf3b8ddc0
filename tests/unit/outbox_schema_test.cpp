// The outbox schema lives once in core/events; every publisher's migration
// list takes it at the version and under the name its own copy had, so
// databases migrated by an older binary keep matching checksums.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/events/outbox_schema.hpp"
#include "core/sql/migrations.hpp"
#include "services/catalog/storage/schema.hpp"
#include "services/inventory/storage/schema.hpp"
#include "services/orders/storage/schema.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::events {
namespace {

struct Publisher {
  const sql::MigrationSet& set;
  int version;            // the version its own NNNN_outbox.sql had
  std::string_view name;  // and that file's name
};

std::vector<Publisher> publishers() {
  return {
      {users::migrations(), 6, "0006_outbox.sql"},
      {catalog::migrations(), 3, "0003_outbox.sql"},
      {orders::migrations(), 2, "0002_outbox.sql"},
      {inventory::migrations(), 2, "0002_outbox.sql"},
  };
}

TEST(OutboxSchema, EveryPublisherEmbedsTheOneSchema) {
  for (const Publisher& publisher : publishers()) {
    for (const sql::Dialect dialect : {sql::Dialect::kSqlite, sql::Dialect::kPostgres}) {
      SCOPED_TRACE(std::string(publisher.set.service) + " " +
                   std::string(sql::dialectName(dialect)));
      const auto& list =
          dialect == sql::Dialect::kSqlite ? publisher.set.sqlite : publisher.set.postgres;
      int outboxes = 0;
      for (const sql::Migration& migration : list) {
        if (migration.sql.find("CREATE TABLE outbox") == std::string_view::npos) continue;
        ++outboxes;
        EXPECT_EQ(migration.version, publisher.version);
        EXPECT_EQ(migration.name, publisher.name);
        EXPECT_EQ(migration.sql, outboxSchemaSql(dialect));
      }
      EXPECT_EQ(outboxes, 1);
      // Still ascending with the shared entry inserted in its place.
      for (std::size_t i = 1; i < list.size(); ++i) {
        EXPECT_LT(list[i - 1].version, list[i].version);
      }
    }
  }
}

TEST(OutboxSchema, ChecksumIsUnchanged) {
  // The SHA-256 that schema_migrations holds for every NNNN_outbox.sql applied
  // before the schema moved here. A different text would stop every existing
  // database at start-up with "checksum mismatch": add a migration instead.
  EXPECT_EQ(sql::sha256Hex(outboxSchemaSql(sql::Dialect::kSqlite)),
            "6d54a739d980ad40e8e1315be47eff1b68de00f391b53767eb50cb6ba522a16d");
  EXPECT_EQ(sql::sha256Hex(outboxSchemaSql(sql::Dialect::kPostgres)),
            "28a7e40dc2cd345691d6155865d422edeb340163dce998ea0a227af3bbe76a96");
}

}  // namespace
}  // namespace emporium::events
