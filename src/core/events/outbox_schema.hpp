#pragma once
// The outbox schema, once for every service that publishes events: the outbox
// table and processed_events (src/core/events/schema/<dialect>/outbox.sql),
// embedded by cmake/EmbedMigrations.cmake. A service's migration list takes it
// with `OUTBOX <version>`; the text must never change, since each database
// records its checksum (core/sql/migrations.hpp). A change is a new migration.

#include <string_view>

#include "core/sql/database.hpp"

namespace emporium::events {

/// The outbox DDL for `dialect`, byte for byte what every publisher's
/// NNNN_outbox.sql migration runs.
std::string_view outboxSchemaSql(sql::Dialect dialect);

}  // namespace emporium::events
