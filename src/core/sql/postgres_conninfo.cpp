#include "core/sql/postgres_conninfo.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "core/sql/database.hpp"

namespace emporium::sql {
namespace {

constexpr std::string_view kDefaultDbname = "emporium";
constexpr std::size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1: longer names are truncated
constexpr std::string_view kDefaultConnectTimeoutSeconds = "10";

struct FreeOptions {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};

bool validServiceName(std::string_view service) {
  return !service.empty() && std::all_of(service.begin(), service.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

}  // namespace

std::string quoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

PostgresTarget parsePostgresTarget(std::string_view url, std::string_view service) {
  if (!validServiceName(service)) {
    throw Error(ErrorKind::kConnection, "invalid service name '" + std::string(service) +
                                            "' (use letters, digits, _ and -)");
  }
  char* raw_error = nullptr;
  const std::unique_ptr<PQconninfoOption, FreeOptions> options(
      PQconninfoParse(std::string(url).c_str(), &raw_error));
  if (!options) {
    // libpq's message names the offending part, never a password value.
    std::string message = raw_error != nullptr ? raw_error : "out of memory";
    PQfreemem(raw_error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw Error(ErrorKind::kConnection, "invalid postgres_url: " + message);
  }

  PostgresTarget target;
  std::string host;
  std::string port;
  std::string user;
  bool has_connect_timeout = false;
  bool has_keepalives = false;
  bool has_options = false;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword = option->keyword;
    const std::string_view value = option->val;
    if (keyword == "dbname") {
      target.url_dbname = value;
      continue;
    }
    if (keyword == "application_name" || keyword == "client_encoding") continue;
    if ((keyword == "host" || keyword == "hostaddr") && host.empty()) host = value;
    if (keyword == "port") port = value;
    if (keyword == "user") user = value;
    if (keyword == "connect_timeout") has_connect_timeout = true;
    if (keyword == "keepalives_idle") has_keepalives = true;
    if (keyword == "options") has_options = true;
    target.keywords.emplace_back(keyword);
    target.values.emplace_back(value);
  }
  target.keywords.emplace_back("application_name");
  target.values.push_back("emporium-" + std::string(service));
  // Rows cross the API as UTF-8 std::string whatever the server's default.
  target.keywords.emplace_back("client_encoding");
  target.values.emplace_back("UTF8");
  if (!has_connect_timeout) {
    // Without it a connect to an unreachable host waits for the TCP timeout.
    target.keywords.emplace_back("connect_timeout");
    target.values.emplace_back(kDefaultConnectTimeoutSeconds);
  }

  if (!has_keepalives) {
    // A server that vanished (host down, network cut) is noticed in ~45 s
    // instead of the kernel's two hours, so a blocked call cannot hang forever.
    for (const auto& [k, v] :
         {std::pair{"keepalives", "1"}, std::pair{"keepalives_idle", "15"},
          std::pair{"keepalives_interval", "5"}, std::pair{"keepalives_count", "6"}}) {
      target.keywords.emplace_back(k);
      target.values.emplace_back(v);
    }
  }
  if (!has_options) {
    // No request waits on one statement or lock longer than this; the URL's
    // own options= takes precedence.
    target.keywords.emplace_back("options");
    target.values.emplace_back("-c statement_timeout=30000 -c lock_timeout=10000");
  }

  if (target.url_dbname.empty()) target.url_dbname = kDefaultDbname;
  target.service_dbname = target.url_dbname + "_" + std::string(service);
  if (target.service_dbname.size() > kMaxIdentifierBytes) {
    throw Error(ErrorKind::kConnection,
                "postgres database name '" + target.service_dbname + "' is longer than 63 bytes");
  }
  target.description = "postgres host=" + (host.empty() ? std::string("(default)") : host) +
                       (port.empty() ? "" : " port=" + port) + " dbname=" + target.service_dbname +
                       (user.empty() ? "" : " user=" + user);
  return target;
}

}  // namespace emporium::sql
