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
# This file is also the generator: the build runs it with `cmake -P`.

function(emporium_embed_migrations)
  cmake_parse_arguments(ARG "" "TARGET;SERVICE;NAMESPACE;DIR" "" ${ARGN})
  foreach(required TARGET SERVICE NAMESPACE DIR)
    if(NOT ARG_${required})
      message(FATAL_ERROR "emporium_embed_migrations: ${required} is required")
    endif()
  endforeach()
  if(NOT IS_ABSOLUTE "${ARG_DIR}")
    set(ARG_DIR "${CMAKE_CURRENT_SOURCE_DIR}/${ARG_DIR}")
  endif()
  # CONFIGURE_DEPENDS: adding a file re-runs the configure step, which
  # refreshes the DEPENDS list below.
  file(GLOB sql_files CONFIGURE_DEPENDS "${ARG_DIR}/sqlite/*.sql" "${ARG_DIR}/postgres/*.sql")
  set(output "${CMAKE_CURRENT_BINARY_DIR}/${ARG_SERVICE}_migrations.cpp")
  set(script "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" "-DSERVICE=${ARG_SERVICE}" "-DNAMESPACE=${ARG_NAMESPACE}"
            "-DDIR=${ARG_DIR}" "-DOUTPUT=${output}" -P "${script}"
    DEPENDS ${sql_files} "${script}"
    COMMENT "Embedding ${ARG_SERVICE} migrations"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${output}")
endfunction()

# Appends the C++ initializer of one dialect's migration list to `out`.
function(_emporium_migration_list dir out)
  file(GLOB files RELATIVE "${dir}" "${dir}/*.sql")
  list(SORT files COMPARE NATURAL)
  set(code "{\n")
  set(seen_versions "")
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
    file(READ "${dir}/${file}" sql)
    string(FIND "${sql}" ")emporium_sql\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "${dir}/${file} contains the raw-string delimiter )emporium_sql\"")
    endif()
    string(APPEND code "          {${version}, \"${file}\", R\"emporium_sql(${sql})emporium_sql\"},\n")
  endforeach()
  string(APPEND code "      }")
  set(${out} "${code}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  _emporium_migration_list("${DIR}/sqlite" sqlite_list)
  _emporium_migration_list("${DIR}/postgres" postgres_list)
  set(code "// Generated from ${DIR} by cmake/EmbedMigrations.cmake. Do not edit.
#include \"core/sql/migrations.hpp\"

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
