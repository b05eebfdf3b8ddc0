#pragma once
// Start-up configuration: defaults < TOML file < EMPORIUM_* environment <
// command-line flags. Every value is validated here, so a bad one stops
// start-up with one line naming the option.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/log/logger.hpp"
#include "core/net/server.hpp"

namespace emporium::config {

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string data_dir = "data";
  /// A file holding the key-encryption key that seals the signing keys at
  /// rest (EMPORIUM_KEY_ENCRYPTION_KEY, read directly, takes precedence).
  std::optional<std::string> key_encryption_key_file;
  /// --ops-listen: /healthz, /readyz and /metrics on a listener of their own
  /// (and no longer on the shop's). Unset: they stay on the shop's listener.
  std::optional<std::string> ops_listen_host;
  std::uint16_t ops_listen_port = 0;
  /// EMPORIUM_METRICS_TOKEN: a Bearer token that may read /metrics on the
  /// shop's listener from anywhere (loopback clients need none).
  std::optional<std::string> metrics_token;
  /// Where `serve` writes the ports it listens on, once all are bound: one
  /// "NAME PORT" line each (shop, sandbox, ops). With --listen HOST:0 this is
  /// how a script or test learns the port the kernel gave.
  std::optional<std::string> port_file;
  /// all: the whole shop. api: HTTP and the outbox relay, no consumers.
  /// worker: the event consumers alone (both need amqp.url).
  /// payment-sandbox: the card provider sandbox alone.
  std::string target = "all";
  log::Level log_level = log::Level::kInfo;
  net::ServerOptions http;  // host/port are copied from listen_*
  bool rate_limits_enabled = true;
  double requests_per_second = 100;  // general limit per client address
  double request_burst = 200;
  /// [limits] account_*: the gateway's limit per signed-in account (its
  /// token checked at the edge), beside the per-address one.
  double account_requests_per_second = 50;
  double account_request_burst = 100;
  /// [limits] gift_card_*: wrong gift-card codes per account (or guest cart)
  /// and per client address in a sliding window; past either cap, gift-card
  /// payments are refused with 429 (see payments/domain/gift_card_guard.hpp).
  std::int64_t gift_card_failures_per_account = 5;
  std::int64_t gift_card_failures_per_address = 20;
  std::chrono::seconds gift_card_window{3600};
  std::optional<std::string> postgres_url;
  std::size_t postgres_pool_size = 16;
  std::optional<std::string> redis_url;
  /// The in-process cache's memory budget (L4); 0 turns it off.
  std::size_t cache_max_bytes = std::size_t{256} << 20U;
  std::optional<std::string> amqp_url;
  std::optional<std::string> smtp_url;
  /// [orders]: shipping and tax rules (minor units, basis points) and recovery.
  std::int64_t orders_flat_shipping = 499;
  std::int64_t orders_free_shipping_from = 5000;  // 0: shipping is never free
  std::int64_t orders_tax_basis_points = 0;
  std::chrono::milliseconds orders_recover_after{60000};
  std::chrono::seconds orders_stock_hold{900};
  /// Test hook (EMPORIUM_TEST_CRASH_AT): the checkout step after which the
  /// process dies, for crash-recovery tests. Unset in production.
  std::string test_crash_at;
  /// The card provider's base URL; unset: `serve` starts the sandbox
  /// provider on a loopback listener of its own (sandbox_listen_*) and uses it.
  std::optional<std::string> payment_provider_url;
  /// payments.sandbox_listen: that listener, loopback only (port 0: any free one).
  std::string sandbox_listen_host = "127.0.0.1";
  std::uint16_t sandbox_listen_port = 0;
  /// payments.sandbox_secret (EMPORIUM_SANDBOX_SECRET): the sandbox's routes
  /// other than tokenization require it as a Bearer token, and the shop sends
  /// it to the card provider. Empty: `serve` generates one and logs it.
  std::string sandbox_secret;
  /// How often captured card payments are checked at the provider for
  /// refunds made there (payments.reconcile_every_ms).
  std::chrono::milliseconds payment_reconcile_every{60000};
  /// Per attempt, the whole exchange with the card provider.
  std::chrono::milliseconds payment_provider_timeout{3000};
  /// [events]: how a failing consumer is retried before its event is
  /// dead-lettered (see events::RetryPolicy).
  int events_max_attempts = 5;
  /// Names of this shop's exchange, queues and stream on RabbitMQ:
  /// <prefix>events, <prefix><consumer>[.retry.N|.dlq], <prefix>activity.
  std::string events_amqp_prefix = "emporium.";
  std::chrono::milliseconds events_retry_base{1000};
  std::chrono::milliseconds events_retry_max{60000};
  /// [inventory]: a reservation leaving fewer available units than this
  /// raises a stock.low alert (0: never).
  std::int64_t low_stock_threshold = 5;
  /// [notifications]: the From of every email, and a directory of templates
  /// overriding the built-in ones (<name>.txt / <name>.html).
  std::string mail_from = "Emporium <shop@emporium.invalid>";
  std::optional<std::string> mail_templates_dir;
  /// [catalog] reviews_require_purchase: only customers who bought a
  /// product may review it (a review is marked verified_purchase either way).
  bool reviews_require_purchase = false;
  /// Who gets stock.low alerts, besides every admin user.
  std::vector<std::string> admin_emails;
  /// [services.<name>] urls (EMPORIUM_SERVICE_<NAME>_URLS, comma-separated):
  /// base URLs of a service's instances, for a process that calls it over
  /// HTTP (the gateway). Keyed by service name.
  std::map<std::string, std::vector<std::string>> service_urls;
  /// [services] internal_secret (EMPORIUM_SERVICE_SECRET): the credential
  /// every process of a deployment shares, which the internal routes
  /// (/internal/v1/...) require. Unset: they are not mounted.
  std::optional<std::string> internal_secret;
  /// [gateway] cors_origins: origins whose pages may call the API in a browser.
  std::vector<std::string> gateway_cors_origins;
  /// [gateway] upstream_timeout_ms: the longest a forwarded request may take.
  std::chrono::milliseconds gateway_upstream_timeout{10000};
};

/// The services whose instances `[services.<name>] urls` can list.
inline constexpr std::array<std::string_view, 7> kServiceNames{
    "users", "catalog", "inventory", "cart", "orders", "payments", "notifications"};

/// A bad option: the message names it (flag, environment variable, file key).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Where values come from. `flags` maps option keys ("listen", "data_dir",
/// "http.threads", ...) to values given on the command line; `env` looks up an
/// environment variable (injected so tests need no real environment).
struct Sources {
  std::map<std::string, std::string> flags;
  std::function<std::optional<std::string>(const std::string&)> env;
  std::optional<std::string> file;  // TOML; also EMPORIUM_CONFIG
};

/// The real process environment.
std::optional<std::string> processEnv(const std::string& name);

/// What the caller knows that the configuration does not: which --target
/// names this binary runs (core/config names no service).
struct LoadOptions {
  /// Valid targets; empty: only the default, "all".
  std::vector<std::string> targets;
  /// Targets that are named but not built yet, each with why; refused.
  std::vector<std::pair<std::string, std::string>> future_targets;
};

/// Builds and validates the configuration; throws ConfigError.
Config load(const Sources& sources, const LoadOptions& options = {});

/// The environment variable that sets an option key: EMPORIUM_ + upper(key), '.' -> '_'.
std::string envName(const std::string& key);

/// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db", for logs.
std::string redactUrl(const std::string& url);

}  // namespace emporium::config
