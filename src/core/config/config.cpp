#include "core/config/config.hpp"

#include "core/config/values.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <set>
#include <vector>

namespace emporium::config {
namespace {

using values::commaList;
using values::headerSecret;
using values::loopbackHost;
using values::originUrl;
using values::parseBool;
using values::parseHostPort;
using values::parseUnsigned;

// One option: its key, how to apply a textual value, and what it expects.
struct Option {
  std::string key;
  std::string expected;
  std::function<bool(Config&, const std::string&)> apply;  // false: invalid value
  /// Why a refused value is refused, when there is more to say than `expected`.
  std::function<std::optional<std::string>(const std::string&)> why_not = {};
};

Option sizeOption(std::string key, std::uint64_t min, std::uint64_t max,
                  std::function<void(Config&, std::uint64_t)> set) {
  std::string expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  return Option{std::move(key), std::move(expected),
                [min, max, set = std::move(set)](Config& c, const std::string& v) {
                  std::uint64_t n = 0;
                  if (!parseUnsigned(v, min, max, n)) return false;
                  set(c, n);
                  return true;
                }};
}

Option millisOption(std::string key, std::function<std::chrono::milliseconds&(Config&)> field) {
  return sizeOption(std::move(key), 1, 86'400'000, [field = std::move(field)](Config& c, auto n) {
    field(c) = std::chrono::milliseconds(n);
  });
}

Option urlOption(std::string key, std::vector<std::string> schemes,
                 std::function<std::optional<std::string>&(Config&)> field) {
  std::string expected = "a URL starting with";
  for (const auto& s : schemes) expected += " " + s + "://";
  expected += " (or empty)";
  return Option{
      std::move(key), std::move(expected),
      [schemes = std::move(schemes), field = std::move(field)](Config& c, const std::string& v) {
        if (v.empty()) {
          field(c).reset();
          return true;
        }
        for (const auto& s : schemes) {
          if (v.starts_with(s + "://") && v.size() > s.size() + 3) {
            field(c) = v;
            return true;
          }
        }
        return false;
      }};
}

bool parseListen(Config& c, const std::string& v) {
  return parseHostPort(v, c.listen_host, c.listen_port);
}

// The embedded sandbox takes any caller's card tokens and its secret guards
// the rest: it is never exposed beyond this machine.
bool parseSandboxListen(Config& c, const std::string& v) {
  Config probe;
  if (!parseListen(probe, v) || !loopbackHost(probe.listen_host)) return false;
  c.sandbox_listen_host = probe.listen_host;
  c.sandbox_listen_port = probe.listen_port;
  return true;
}

bool parseSecret(Config& c, const std::string& v) {
  constexpr std::size_t kMinSecret = 16;
  if (!headerSecret(v, kMinSecret)) return false;
  c.sandbox_secret = v;
  return true;
}

// Shared by every process of a deployment, and it opens every service's
// internal routes: longer than the sandbox's.
bool parseInternalSecret(Config& c, const std::string& v) {
  constexpr std::size_t kMinSecret = 32;
  if (!headerSecret(v, kMinSecret)) return false;
  c.internal_secret = v;
  return true;
}

// --target: one of the caller's names. A name that is reserved for what is
// not built yet is refused with the reason, which `expected` carries.
Option targetOption(const LoadOptions& load) {
  std::vector<std::string> names = load.targets;
  if (names.empty()) names.emplace_back("all");
  std::string expected = "one of: ";
  for (std::size_t i = 0; i < names.size(); ++i) expected += (i > 0 ? ", " : "") + names[i];
  return {"target", expected,
          [names](Config& c, const std::string& v) {
            if (std::find(names.begin(), names.end(), v) == names.end()) return false;
            c.target = v;
            return true;
          },
          [future = load.future_targets](const std::string& v) -> std::optional<std::string> {
            for (const auto& [name, why] : future) {
              if (name == v) return why;
            }
            return std::nullopt;
          }};
}

std::vector<Option> options(const LoadOptions& load) {
  std::vector<Option> o;
  o.push_back({"listen", "HOST:PORT, e.g. 127.0.0.1:8080", parseListen});
  o.push_back({"ops_listen", "HOST:PORT, e.g. 127.0.0.1:9090", [](Config& c, const std::string& v) {
                 std::string host;
                 if (!parseHostPort(v, host, c.ops_listen_port)) return false;
                 c.ops_listen_host = host;
                 return true;
               }});
  o.push_back({"metrics.token", "a secret string", [](Config& c, const std::string& v) {
                 if (v.empty()) {
                   c.metrics_token.reset();
                 } else {
                   c.metrics_token = v;
                 }
                 return true;
               }});
  o.push_back({"data_dir", "a directory path", [](Config& c, const std::string& v) {
                 if (v.empty()) return false;
                 c.data_dir = v;
                 return true;
               }});
  o.push_back({"key_encryption_key_file", "a file path", [](Config& c, const std::string& v) {
                 if (v.empty()) return false;
                 c.key_encryption_key_file = v;
                 return true;
               }});
  o.push_back({"port_file", "a file path", [](Config& c, const std::string& v) {
                 if (v.empty()) return false;
                 c.port_file = v;
                 return true;
               }});
  o.push_back(targetOption(load));
  o.push_back(
      {"log.level", "one of: debug, info, warn, error", [](Config& c, const std::string& v) {
         const auto level = log::parseLevel(v);
         if (!level) return false;
         c.log_level = *level;
         return true;
       }});
  o.push_back({"log.access", "true or false", [](Config& c, const std::string& v) {
                 const auto b = parseBool(v);
                 if (!b) return false;
                 c.http.access_log = *b;
                 return true;
               }});
  o.push_back(sizeOption("http.threads", 0, 256, [](Config& c, auto n) { c.http.threads = n; }));
  o.push_back(sizeOption("http.blocking_threads", 0, 1024,
                         [](Config& c, auto n) { c.http.blocking_threads = n; }));
  o.push_back(sizeOption("http.max_body_bytes", 1024, 1ULL << 30,
                         [](Config& c, auto n) { c.http.max_body_bytes = n; }));
  o.push_back(sizeOption("http.max_header_bytes", 1024, 1 << 20,
                         [](Config& c, auto n) { c.http.max_header_bytes = n; }));
  o.push_back(sizeOption("http.max_connections", 1, 1'000'000,
                         [](Config& c, auto n) { c.http.max_connections = n; }));
  o.push_back(millisOption(
      "http.read_timeout_ms", [](Config & c) -> auto& { return c.http.read_timeout; }));
  o.push_back(millisOption(
      "http.idle_timeout_ms", [](Config & c) -> auto& { return c.http.idle_timeout; }));
  o.push_back(millisOption(
      "http.header_timeout_ms", [](Config & c) -> auto& { return c.http.header_timeout; }));
  o.push_back(sizeOption("http.max_connections_per_address", 0, 1'000'000,
                         [](Config& c, auto n) { c.http.max_connections_per_address = n; }));
  o.push_back(millisOption(
      "http.shutdown_grace_ms", [](Config & c) -> auto& { return c.http.shutdown_grace; }));
  o.push_back(
      {"catalog.reviews_require_purchase", "true or false", [](Config& c, const std::string& v) {
         const auto b = parseBool(v);
         if (!b) return false;
         c.reviews_require_purchase = *b;
         return true;
       }});
  o.push_back({"limits.enabled", "true or false", [](Config& c, const std::string& v) {
                 const auto b = parseBool(v);
                 if (!b) return false;
                 c.rate_limits_enabled = *b;
                 return true;
               }});
  o.push_back(sizeOption("limits.requests_per_second", 1, 1'000'000, [](Config& c, auto n) {
    c.requests_per_second = static_cast<double>(n);
  }));
  o.push_back(sizeOption("limits.burst", 1, 1'000'000,
                         [](Config& c, auto n) { c.request_burst = static_cast<double>(n); }));
  o.push_back(sizeOption("limits.account_requests_per_second", 1, 1'000'000, [](Config& c, auto n) {
    c.account_requests_per_second = static_cast<double>(n);
  }));
  o.push_back(sizeOption("limits.account_burst", 1, 1'000'000, [](Config& c, auto n) {
    c.account_request_burst = static_cast<double>(n);
  }));
  o.push_back(sizeOption(
      "limits.gift_card_failures_per_account", 1, 1'000'000,
      [](Config& c, auto n) { c.gift_card_failures_per_account = static_cast<std::int64_t>(n); }));
  o.push_back(sizeOption(
      "limits.gift_card_failures_per_address", 1, 1'000'000,
      [](Config& c, auto n) { c.gift_card_failures_per_address = static_cast<std::int64_t>(n); }));
  o.push_back(sizeOption("limits.gift_card_window_seconds", 1, 2'592'000,
                         [](Config& c, auto n) { c.gift_card_window = std::chrono::seconds(n); }));
  o.push_back({"http.trust_forwarded_for", "true or false", [](Config& c, const std::string& v) {
                 const auto b = parseBool(v);
                 if (!b) return false;
                 c.http.trust_forwarded_for = *b;
                 return true;
               }});
  // Only where every caller is our own (a service behind the gateway): a
  // budget from the public would let a client cut its own requests short.
  o.push_back({"http.trust_budget_header", "true or false", [](Config& c, const std::string& v) {
                 const auto b = parseBool(v);
                 if (!b) return false;
                 c.http.trust_budget_header = *b;
                 return true;
               }});
  o.push_back(urlOption(
      "postgres.url", {"postgresql", "postgres"},
      [](Config & c) -> auto& { return c.postgres_url; }));
  o.push_back(sizeOption("postgres.pool_size", 1, 1000,
                         [](Config& c, auto n) { c.postgres_pool_size = n; }));
  o.push_back(urlOption(
      "redis.url", {"redis"}, [](Config & c) -> auto& { return c.redis_url; }));
  o.push_back(sizeOption("cache.max_bytes", 0, std::size_t{1} << 40U,
                         [](Config& c, auto n) { c.cache_max_bytes = n; }));
  o.push_back(urlOption(
      "amqp.url", {"amqp"}, [](Config & c) -> auto& { return c.amqp_url; }));
  o.push_back(urlOption(
      "smtp.url", {"smtp", "smtps"}, [](Config & c) -> auto& { return c.smtp_url; }));
  o.push_back(sizeOption("orders.flat_shipping", 0, 100'000'000, [](Config& c, auto n) {
    c.orders_flat_shipping = static_cast<std::int64_t>(n);
  }));
  o.push_back(sizeOption("orders.free_shipping_from", 0, 1'000'000'000'000, [](Config& c, auto n) {
    c.orders_free_shipping_from = static_cast<std::int64_t>(n);
  }));
  o.push_back(sizeOption("orders.tax_basis_points", 0, 10'000, [](Config& c, auto n) {
    c.orders_tax_basis_points = static_cast<std::int64_t>(n);
  }));
  o.push_back(millisOption(
      "orders.recover_after_ms", [](Config & c) -> auto& { return c.orders_recover_after; }));
  o.push_back(sizeOption("orders.stock_hold_seconds", 10, 86'400,
                         [](Config& c, auto n) { c.orders_stock_hold = std::chrono::seconds(n); }));
  o.push_back({"test.crash_at",
               "one of: key_claimed, order_created, stock_reserved, payment_taken, "
               "stock_confirmed, order_confirmed (or empty)",
               [](Config& c, const std::string& v) {
                 if (!v.empty() && v != "key_claimed" && v != "order_created" &&
                     v != "stock_reserved" && v != "payment_taken" && v != "stock_confirmed" &&
                     v != "order_confirmed") {
                   return false;
                 }
                 c.test_crash_at = v;
                 return true;
               }});
  o.push_back(urlOption(
      "payments.provider_url", {"http", "https"},
      [](Config & c) -> auto& { return c.payment_provider_url; }));
  o.push_back(millisOption(
      "payments.provider_timeout_ms",
      [](Config & c) -> auto& { return c.payment_provider_timeout; }));
  o.push_back(millisOption(
      "payments.reconcile_every_ms",
      [](Config & c) -> auto& { return c.payment_reconcile_every; }));
  o.push_back({"payments.sandbox_listen", "HOST:PORT on a loopback address, e.g. 127.0.0.1:0",
               parseSandboxListen});
  o.push_back({"payments.sandbox_secret",
               "16 to 200 visible ASCII characters (no spaces), e.g. from openssl rand -hex 32",
               parseSecret});
  o.push_back(sizeOption("events.max_attempts", 1, 100,
                         [](Config& c, auto n) { c.events_max_attempts = static_cast<int>(n); }));
  o.push_back({"events.amqp_prefix", "letters, digits, '.', '-' or '_', e.g. emporium.",
               [](Config& c, const std::string& v) {
                 if (v.empty() || v.size() > 100) return false;
                 for (const char ch : v) {
                   if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '.' &&
                       ch != '-' && ch != '_') {
                     return false;
                   }
                 }
                 c.events_amqp_prefix = v;
                 return true;
               }});
  o.push_back(millisOption(
      "events.retry_base_ms", [](Config & c) -> auto& { return c.events_retry_base; }));
  o.push_back(millisOption(
      "events.retry_max_ms", [](Config & c) -> auto& { return c.events_retry_max; }));
  o.push_back(sizeOption("inventory.low_stock_threshold", 0, 1'000'000'000, [](Config& c, auto n) {
    c.low_stock_threshold = static_cast<std::int64_t>(n);
  }));
  o.push_back({"notifications.from", "an email address, e.g. Shop <shop@example.com>",
               [](Config& c, const std::string& v) {
                 if (v.find('@') == std::string::npos ||
                     v.find_first_of("\r\n") != std::string::npos) {
                   return false;
                 }
                 c.mail_from = v;
                 return true;
               }});
  o.push_back({"notifications.templates_dir", "a directory path (or empty)",
               [](Config& c, const std::string& v) {
                 if (v.empty()) {
                   c.mail_templates_dir.reset();
                 } else {
                   c.mail_templates_dir = v;
                 }
                 return true;
               }});
  o.push_back({"notifications.admin_emails", "comma-separated email addresses",
               [](Config& c, const std::string& v) {
                 std::vector<std::string> emails = commaList(v);
                 if (!std::all_of(emails.begin(), emails.end(), [](const std::string& e) {
                       return e.find('@') != std::string::npos;
                     })) {
                   return false;
                 }
                 c.admin_emails = std::move(emails);
                 return true;
               }});
  for (const std::string_view service : kServiceNames) {
    o.push_back({"services." + std::string(service) + ".urls",
                 "comma-separated base URLs such as http://127.0.0.1:9101",
                 [name = std::string(service)](Config& c, const std::string& v) {
                   std::vector<std::string> urls = commaList(v);
                   if (!std::all_of(urls.begin(), urls.end(), originUrl)) return false;
                   if (urls.empty()) {
                     c.service_urls.erase(name);
                   } else {
                     c.service_urls[name] = std::move(urls);
                   }
                   return true;
                 }});
  }
  o.push_back({"services.internal_secret",
               "32 to 200 visible ASCII characters (no spaces), e.g. from openssl rand -hex 32",
               parseInternalSecret});
  o.push_back({"gateway.cors_origins",
               "comma-separated origins such as https://shop.example (or empty)",
               [](Config& c, const std::string& v) {
                 std::vector<std::string> origins = commaList(v);
                 if (!std::all_of(origins.begin(), origins.end(), originUrl)) return false;
                 c.gateway_cors_origins = std::move(origins);
                 return true;
               }});
  o.push_back(millisOption(
      "gateway.upstream_timeout_ms",
      [](Config & c) -> auto& { return c.gateway_upstream_timeout; }));
  return o;
}

// Environment names the contract fixes that the generic rule would not produce.
const std::map<std::string, std::vector<std::string>>& envAliases() {
  static const std::map<std::string, std::vector<std::string>> aliases = [] {
    std::map<std::string, std::vector<std::string>> names = {
        {"limits.enabled", {"EMPORIUM_RATE_LIMITS"}},
        {"log.access", {"EMPORIUM_ACCESS_LOG"}},
        {"payments.provider_url", {"EMPORIUM_PAYMENT_PROVIDER_URL"}},
        {"payments.provider_timeout_ms", {"EMPORIUM_PAYMENT_PROVIDER_TIMEOUT_MS"}},
        {"payments.sandbox_secret", {"EMPORIUM_SANDBOX_SECRET"}},
        {"services.internal_secret", {"EMPORIUM_SERVICE_SECRET"}},
    };
    // EMPORIUM_SERVICE_CATALOG_URLS (issue 15) beside the generic
    // EMPORIUM_SERVICES_CATALOG_URLS.
    for (const std::string_view service : kServiceNames) {
      std::string env = "EMPORIUM_SERVICE_";
      for (const char c : service) {
        env.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      }
      env += "_URLS";
      names["services." + std::string(service) + ".urls"] = {env};
    }
    return names;
  }();
  return aliases;
}

std::string flagName(const std::string& key) {
  std::string flag = "--" + key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  std::replace(flag.begin(), flag.end(), '.', '-');
  return flag;
}

std::optional<std::string> tomlValueAsText(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  // A list of strings (urls = ["http://a:1", "http://b:2"]) reads as the
  // comma-separated form its environment variable takes.
  if (const auto* list = node.as_array()) {
    std::string joined;
    for (const auto& item : *list) {
      const auto* text = item.as_string();
      if (text == nullptr) return std::nullopt;
      if (!joined.empty()) joined += ",";
      joined += text->get();
    }
    return joined;
  }
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  return std::nullopt;
}

void collectKeys(const toml::table& table, const std::string& prefix,
                 std::vector<std::string>& out) {
  for (const auto& [k, v] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table()) {
      collectKeys(*sub, key, out);
    } else {
      out.push_back(key);
    }
  }
}

}  // namespace

std::optional<std::string> processEnv(const std::string& name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): configuration is read once, at start-up.
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string envName(const std::string& key) {
  std::string name = "EMPORIUM_";
  for (const char c : key) {
    name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

std::string redactUrl(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Config load(const Sources& sources, const LoadOptions& load_options) {
  Config config;
  const auto opts = options(load_options);
  const auto env = [&](const std::string& name) -> std::optional<std::string> {
    return sources.env ? sources.env(name) : std::nullopt;
  };

  // 1. The file, if any: --config, else EMPORIUM_CONFIG.
  std::optional<std::string> file = sources.file;
  if (!file) file = env("EMPORIUM_CONFIG");
  std::optional<toml::table> table;
  if (file && !file->empty()) {
    try {
      table = toml::parse_file(*file);
    } catch (const toml::parse_error& e) {
      throw ConfigError("invalid --config file " + *file + ": " + std::string(e.description()) +
                        " at line " + std::to_string(e.source().begin.line));
    }
    std::vector<std::string> keys;
    collectKeys(*table, "", keys);
    for (const auto& key : keys) {
      const bool known =
          std::any_of(opts.begin(), opts.end(), [&](const Option& o) { return o.key == key; });
      if (!known) throw ConfigError("unknown option '" + key + "' in config file " + *file);
    }
  }

  for (const auto& opt : opts) {
    std::optional<std::string> value;
    std::string origin;
    if (const auto it = sources.flags.find(opt.key); it != sources.flags.end()) {
      value = it->second;
      origin = flagName(opt.key);
    } else if (auto v = env(envName(opt.key))) {
      value = std::move(v);
      origin = envName(opt.key);
    } else if (const auto alias = envAliases().find(opt.key); alias != envAliases().end()) {
      for (const auto& name : alias->second) {
        if (auto v = env(name)) {
          value = std::move(v);
          origin = name;
          break;
        }
      }
    }
    if (!value && table) {
      if (const auto node = table->at_path(opt.key)) {
        value = tomlValueAsText(*node.node());
        origin = "'" + opt.key + "' in " + *file;
        if (!value) throw ConfigError("invalid value for " + origin + ": expected " + opt.expected);
      }
    }
    if (!value) continue;
    if (!opt.apply(config, *value)) {
      // URLs may carry passwords, and secrets are secret: never echo them.
      const bool secret = ((opt.key.ends_with(".url") || opt.key.ends_with(".urls")) &&
                           value->find('@') != std::string::npos) ||
                          opt.key.ends_with("_secret");
      std::string message = "invalid value for " + origin + ": ";
      message += secret ? "(value not shown: it may hold a password)" : "'" + *value + "'";
      if (opt.why_not) {
        if (const auto why = opt.why_not(*value)) message += ": " + *why;
      }
      message += " (expected " + opt.expected + ")";
      throw ConfigError(message);
    }
  }
  config.http.host = config.listen_host;
  config.http.port = config.listen_port;
  return config;
}

}  // namespace emporium::config
