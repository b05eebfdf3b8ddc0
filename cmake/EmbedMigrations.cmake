# Embeds a service's SQL migrations in its library.
#
#   emporium_embed_migrations(TARGET users_storage SERVICE users
#                             NAMESPACE emporium::users DIR ${CMAKE_CURRENT_SOURCE_DIR}/migrations)
#
# DIR holds one folder per dialect, each with files named NNNN_name.sql
# (version = the number, at least one digit; name = letters, digits, _):
#
#   migrations/sqlite/0001_create_users.sql
#   migrations/sqlite/0002_add_email_index.sql
#   migrations/postgres/0001_create_users.sql
#   migrations/postgres/0002_add_email_index.sql
#
# At build time this generates a .cpp, added to TARGET's sources, defining
#
#   const emporium::sql::MigrationSet& <NAMESPACE>::migrations();
#
# with each file's text as a raw string literal; declare that function in a
# header of the service and pass it to emporium::sql::applyMigrations(). TARGET
# must link emporium_sql. Never edit an applied migration: add a new file.
#
# OUTBOX <version> (for a service that publishes events) adds the one outbox
# schema of core/events (src/core/events/schema/<dialect>/outbox.sql) to both
# dialect lists as NNNN_outbox.sql at that version. The list refers to
# emporium::events::outboxSchemaSql() rather than copying the text, so every
# publisher runs the same bytes (and records the same checksum); TARGET must
# link emporium_events. A file of that version in DIR is an error.
#
#   emporium_embed_migrations(TARGET emporium_orders SERVICE orders
#                             NAMESPACE emporium::orders DIR ... OUTBOX 2)
#
# emporium_embed_outbox_schema(TARGET emporium_events DIR <schema dir>)
# generates that outboxSchemaSql() from DIR/{sqlite,postgres}/outbox.sql.
#
# This file is also the generator: the build runs it with `cmake -P`.

# Stops configuring when `fn` was called without one of the named arguments,
# and makes ARG_DIR absolute (relative to the calling CMakeLists.txt). A macro,
# so that ARG_DIR changes in the caller.
macro(_emporium_embed_arguments fn)
  foreach(required ${ARGN})
    if(NOT ARG_${required})
      message(FATAL_ERROR "${fn}: ${required} is required")
    endif()
  endforeach()
  if(NOT IS_ABSOLUTE "${ARG_DIR}")
    set(ARG_DIR "${CMAKE_CURRENT_SOURCE_DIR}/${ARG_DIR}")
  endif()
endmacro()

function(emporium_embed_migrations)
  cmake_parse_arguments(ARG "" "TARGET;SERVICE;NAMESPACE;DIR;OUTBOX" "" ${ARGN})
  _emporium_embed_arguments(emporium_embed_migrations TARGET SERVICE NAMESPACE DIR)
  # CONFIGURE_DEPENDS: adding a file re-runs the configure step, which
  # refreshes the DEPENDS list below.
  file(GLOB sql_files CONFIGURE_DEPENDS "${ARG_DIR}/sqlite/*.sql" "${ARG_DIR}/postgres/*.sql")
  if(DEFINED ARG_OUTBOX AND NOT ARG_OUTBOX MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "emporium_embed_migrations: OUTBOX takes a positive version, not '${ARG_OUTBOX}'")
  endif()
  set(output "${CMAKE_CURRENT_BINARY_DIR}/${ARG_SERVICE}_migrations.cpp")
  set(script "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DSERVICE=${ARG_SERVICE}" "-DNAMESPACE=${ARG_NAMESPACE}"
            "-DDIR=${ARG_DIR}" "-DOUTBOX=${ARG_OUTBOX}" "-DOUTPUT=${output}" -P "${script}"
    DEPENDS ${sql_files} "${script}"
    COMMENT "Embedding ${ARG_SERVICE} migrations"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${output}")
endfunction()

function(emporium_embed_outbox_schema)
  cmake_parse_arguments(ARG "" "TARGET;DIR" "" ${ARGN})
  _emporium_embed_arguments(emporium_embed_outbox_schema TARGET DIR)
  set(output "${CMAKE_CURRENT_BINARY_DIR}/outbox_schema.cpp")
  set(script "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" -DMODE=outbox_schema "-DDIR=${ARG_DIR}" "-DOUTPUT=${output}"
            -P "${script}"
    DEPENDS "${ARG_DIR}/sqlite/outbox.sql" "${ARG_DIR}/postgres/outbox.sql" "${script}"
    COMMENT "Embedding the outbox schema"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${output}")
endfunction()

# Reads one SQL file into `out`, refusing text that would end the raw string.
function(_emporium_read_sql path out)
  file(READ "${path}" sql)
  string(FIND "${sql}" ")emporium_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains the raw-string delimiter )emporium_sql\"")
  endif()
  set(${out} "${sql}" PARENT_SCOPE)
endfunction()

# The initializer of the shared outbox migration at version OUTBOX, named as
# the per-service copies were (0002_outbox.sql, ...) so nothing recorded changes.
function(_emporium_outbox_entry dialect out)
  string(LENGTH "${OUTBOX}" digits)
  set(padded "${OUTBOX}")
  while(digits LESS 4)
    set(padded "0${padded}")
    math(EXPR digits "${digits} + 1")
  endwhile()
  set(${out} "          {${OUTBOX}, \"${padded}_outbox.sql\", emporium::events::outboxSchemaSql(emporium::sql::Dialect::${dialect})},\n" PARENT_SCOPE)
endfunction()

# Appends the C++ initializer of one dialect's migration list to `out`.
function(_emporium_migration_list dir dialect out)
  file(GLOB files RELATIVE "${dir}" "${dir}/*.sql")
  list(SORT files COMPARE NATURAL)
  set(code "{\n")
  set(seen_versions "")
  set(outbox_pending FALSE)
  if(OUTBOX)
    set(outbox_pending TRUE)
    _emporium_outbox_entry(${dialect} outbox_entry)
  endif()
  foreach(file IN LISTS files)
    if(NOT file MATCHES "^([0-9]+)_[A-Za-z0-9_]+\\.sql$")
      message(FATAL_ERROR "${dir}/${file}: migration files are named NNNN_name.sql")
    endif()
    string(REGEX REPLACE "^0+([0-9])" "\\1" version "${CMAKE_MATCH_1}")
    list(FIND seen_versions "${version}" seen_at)  # not IN_LIST: -P runs without policies
    if(NOT seen_at EQUAL -1)
      message(FATAL_ERROR "${dir}/${file}: version ${version} is used twice")
    endif()
    list(APPEND seen_versions "${version}")
    if(OUTBOX AND version EQUAL OUTBOX)
      message(FATAL_ERROR "${dir}/${file}: version ${version} is the shared outbox's (OUTBOX ${OUTBOX})")
    endif()
    if(outbox_pending AND version GREATER OUTBOX)
      string(APPEND code "${outbox_entry}")
      set(outbox_pending FALSE)
    endif()
    _emporium_read_sql("${dir}/${file}" sql)
    string(APPEND code "          {${version}, \"${file}\", R\"emporium_sql(${sql})emporium_sql\"},\n")
  endforeach()
  if(outbox_pending)
    string(APPEND code "${outbox_entry}")
  endif()
  string(APPEND code "      }")
  set(${out} "${code}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE AND MODE STREQUAL "outbox_schema")
  _emporium_read_sql("${DIR}/sqlite/outbox.sql" sqlite_sql)
  _emporium_read_sql("${DIR}/postgres/outbox.sql" postgres_sql)
  set(code "// Generated from ${DIR} by cmake/EmbedMigrations.cmake. Do not edit.
#include \"core/events/outbox_schema.hpp\"

namespace emporium::events {

std::string_view outboxSchemaSql(sql::Dialect dialect) {
  switch (dialect) {
    case sql::Dialect::kSqlite:
      return R\"emporium_sql(${sqlite_sql})emporium_sql\";
    case sql::Dialect::kPostgres:
      return R\"emporium_sql(${postgres_sql})emporium_sql\";
  }
  return {};
}

}  // namespace emporium::events
")
  file(WRITE "${OUTPUT}" "${code}")
elseif(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  _emporium_migration_list("${DIR}/sqlite" kSqlite sqlite_list)
  _emporium_migration_list("${DIR}/postgres" kPostgres postgres_list)
  set(outbox_include "")
  if(OUTBOX)
    set(outbox_include "#include \"core/events/outbox_schema.hpp\"\n")
  endif()
  set(code "// Generated from ${DIR} by cmake/EmbedMigrations.cmake. Do not edit.
${outbox_include}#include \"core/sql/migrations.hpp\"

namespace ${NAMESPACE} {

const emporium::sql::MigrationSet& migrations() {
  static const emporium::sql::MigrationSet kMigrations{
      \"${SERVICE}\",
      ${sqlite_list},
      ${postgres_list},
  };
  return kMigrations;
}

}  // namespace ${NAMESPACE}
")
  file(WRITE "${OUTPUT}" "${code}")
endif()
