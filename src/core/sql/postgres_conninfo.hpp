#pragma once
// Turns DatabaseOptions::postgres_url into the connection parameters of one
// service's database.

#include <string>
#include <string_view>
#include <vector>

namespace emporium::sql {

/// Connection parameters for `<dbname>_<service>`, parsed from a libpq URI
/// (postgresql://user@host:5432/emporium) or keyword/value string.
struct PostgresTarget {
  /// Every option the URL set, except dbname (chosen per connection), plus
  /// application_name=emporium-<service>, client_encoding=UTF8 and, unless
  /// the URL set one, connect_timeout=10. Parallel arrays for
  /// PQconnectdbParams; values may hold a password.
  std::vector<std::string> keywords;
  std::vector<std::string> values;
  std::string url_dbname;      // the URL's own database, "emporium" when it names none
  std::string service_dbname;  // <url_dbname>_<service>
  /// host, port, user and dbname for logs: never the password.
  std::string description;
};

/// Throws Error{kConnection} when the URL does not parse or the service name
/// does not make a valid database name.
PostgresTarget parsePostgresTarget(std::string_view url, std::string_view service);

/// `name` as a double-quoted SQL identifier.
std::string quoteIdentifier(std::string_view name);

}  // namespace emporium::sql
