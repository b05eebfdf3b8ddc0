#include "app/module_table.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "app/consumers.hpp"
#include "app/remote_rows.hpp"
#include "core/events/sql_activity_log.hpp"
#include "core/net/peer_error.hpp"
#include "services/cart/cart_module.hpp"
#include "services/cart/storage/schema.hpp"
#include "services/catalog/catalog_module.hpp"
#include "services/catalog/storage/schema.hpp"
#include "services/inventory/inventory_module.hpp"
#include "services/inventory/storage/schema.hpp"
#include "services/notifications/notifications_module.hpp"
#include "services/notifications/storage/schema.hpp"
#include "services/orders/orders_module.hpp"
#include "services/orders/storage/schema.hpp"
#include "services/payments/payments_module.hpp"
#include "services/payments/sandbox/schema.hpp"
#include "services/payments/storage/schema.hpp"
#include "services/users/storage/user_store.hpp"
#include "services/users/users_module.hpp"

namespace emporium::app {
namespace {

template <typename T>
T& need(T* peer, std::string_view row, std::string_view what) {
  // The table lists every need before the row (ModuleTable.NeedsFormNoCycle):
  // a null peer here is a table bug, not a configuration error.
  if (peer == nullptr) {
    throw std::logic_error("module " + std::string(row) + " built without " + std::string(what));
  }
  return *peer;
}

events::ActivityLog& activityOf(Env& env, std::string_view row) {
  return need(env.activity, row, "the activity log");
}

// Inventory's admin routes ask the catalog which SKUs it sells, through the
// back link: the catalog row (built later, when it is in this process) sets
// it. Without a catalog a SKU is known when inventory has a row for it.
class LinkedCatalog final : public catalog::Client {
 public:
  explicit LinkedCatalog(const BackLinks& links) : links_(links) {}
  std::vector<catalog::SkuInfo> lookup(std::span<const std::string> skus) override {
    if (links_.catalog == nullptr) return {};
    return links_.catalog->lookup(skus);
  }

 private:
  const BackLinks& links_;
};

// The inventory module with the adapter its routes read through.
class InventoryRow final : public module::Module {
 public:
  explicit InventoryRow(Env& env)
      : skus_(env.links),
        module_(*env.databases.at("inventory"), env.events.outbox("inventory"),
                env.config.low_stock_threshold, skus_, env.logger) {}
  std::string_view name() const override { return module_.name(); }
  void addRoutes(http::Router& router) override { module_.addRoutes(router); }
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) override {
    module_.addInternalRoutes(router, credential);
  }
  void collect(metrics::Exposition& out) const override { module_.collect(out); }
  void start() override { module_.start(); }
  void stop() override { module_.stop(); }
  inventory::Client& client() { return module_.client(); }

 private:
  LinkedCatalog skus_;
  inventory::InventoryModule module_;
};

// The catalog with the response cache it alone fills and invalidates.
class CatalogRow final : public module::Module {
 public:
  CatalogRow(Env& env, Peers& peers)
      : cache_(catalogCacheOptions(env.config, env.databases)),
        module_(
            *env.databases.at("catalog"), env.events.outbox("catalog"), cache_,
            activityOf(env, "catalog"), env.logger,
            [&users = need(peers.users, "catalog", "users")](
                const std::string& user_id) -> std::optional<std::string> {
              const auto name = users.name(user_id);
              if (!name) return std::nullopt;
              return catalog::reviewerDisplayName(*name);
            },
            &need(peers.inventory, "catalog", "inventory")) {
    module_.requirePurchaseForReviews(env.config.reviews_require_purchase);
  }
  std::string_view name() const override { return module_.name(); }
  void addRoutes(http::Router& router) override { module_.addRoutes(router); }
  void addInternalRoutes(http::Router& router, const http::ServiceCredential& credential) override {
    module_.addInternalRoutes(router, credential);
  }
  std::vector<events::Consumer> consumers() override { return module_.consumers(); }
  void collect(metrics::Exposition& out) const override {
    module_.collect(out);
    cache_.collect(out);
  }
  void start() override { module_.start(); }
  catalog::CatalogModule& module() { return module_; }

 private:
  cache::TieredCache cache_;
  catalog::CatalogModule module_;
};

// The payments module, calling the embedded sandbox (on a loopback listener
// of its own, never the shop's router: its control and refund routes are not
// the public's) when no provider is configured, so the default shop takes
// test cards with no setup.
std::unique_ptr<payments::PaymentsModule> makePayments(Env& env) {
  const auto& config = env.config;
  auto provider_options = payments::providerOptions(config);
  if (!config.payment_provider_url) {
    provider_options.secret = sandboxSecret(config.sandbox_secret, env.logger);
    net::ServerOptions listen = config.http;
    listen.host = config.sandbox_listen_host;
    listen.port = config.sandbox_listen_port;
    listen.threads = 1;
    listen.trust_forwarded_for = false;  // loopback: nothing forwards to it
    env.sandbox.emplace(*env.databases.at("sandbox"),
                        SandboxListenerOptions{listen, provider_options.secret,
                                               config.rate_limits_enabled, translateError},
                        env.logger);
    env.sandbox->start();
    env.logger.info("payment sandbox is serving", {{"url", env.sandbox->baseUrl()}});
  }
  auto module = std::make_unique<payments::PaymentsModule>(
      *env.databases.at("payments"), env.events.outbox("payments"),
      payments::providerBaseUrl(
          config.payment_provider_url,
          [origin = env.sandbox ? env.sandbox->origin() : std::string()] { return origin; }),
      provider_options, env.logger, payments::giftCardLimits(config));
  module->reconcileEvery(config.payment_reconcile_every);
  return module;
}

orders::OrderOptions orderOptions(const config::Config& config) {
  orders::OrderOptions options;
  options.pricing =
      orders::PricingRules{config.orders_flat_shipping, config.orders_free_shipping_from,
                           config.orders_tax_basis_points};
  options.hold_for = config.orders_stock_hold;
  options.recover_after = config.orders_recover_after;
  // Look at least twice per recovery window, at most every 15 s.
  options.sweep_every = std::clamp(config.orders_recover_after / 2, std::chrono::milliseconds(100),
                                   std::chrono::milliseconds(15000));
  options.crash.at = config.test_crash_at;
  return options;
}

// Refuses (before anything starts) a sweeper that would take a checkout
// still charging for an abandoned one.
void validateOrderRecovery(const config::Config& config) {
  const auto provider = payments::providerOptions(config);
  orders::validateRecovery(config.orders_recover_after,
                           payments::worstCase(provider.retry, provider.total_timeout));
}

// --- the rows' makes --------------------------------------------------------

std::unique_ptr<module::Module> makeUsers(Env& env, Peers& peers) {
  auto module = std::make_unique<users::UsersModule>(
      *env.databases.at("users"), env.events.outbox("users"), env.limiter,
      users::AuthLimits{.enabled = env.config.rate_limits_enabled},
      keyEncryptionKey(env.config, env.logger));
  peers.users = &module->client();
  peers.authenticator = &module->authenticator();
  return module;
}

std::unique_ptr<module::Module> makeInventory(Env& env, Peers& peers) {
  auto row = std::make_unique<InventoryRow>(env);
  peers.inventory = &row->client();
  return row;
}

std::unique_ptr<module::Module> makeCatalog(Env& env, Peers& peers) {
  auto row = std::make_unique<CatalogRow>(env, peers);
  catalog::CatalogModule& catalog = row->module();
  peers.catalog = &catalog.client();
  env.links.catalog = &catalog.client();
  return row;
}

std::unique_ptr<module::Module> makeCart(Env& env, Peers& peers) {
  auto module = std::make_unique<cart::CartModule>(
      *env.databases.at("cart"), need(peers.catalog, "cart", "catalog"),
      need(peers.inventory, "cart", "inventory"), activityOf(env, "cart"), env.logger);
  peers.carts = &module->client();
  return module;
}

std::unique_ptr<module::Module> makePaymentsRow(Env& env, Peers& peers) {
  auto module = makePayments(env);
  peers.payments = &module->client();
  return module;
}

std::unique_ptr<module::Module> makeOrders(Env& env, Peers& peers) {
  auto module = std::make_unique<orders::OrdersModule>(
      *env.databases.at("orders"), env.events.outbox("orders"),
      orders::OrderPeers{
          need(peers.carts, "orders", "cart"), need(peers.catalog, "orders", "catalog"),
          need(peers.inventory, "orders", "inventory"), need(peers.payments, "orders", "payments"),
          need(peers.users, "orders", "users")},
      orderOptions(env.config), activityOf(env, "orders"), env.logger);
  return module;
}

std::unique_ptr<module::Module> makeNotifications(Env& env, Peers& peers) {
  return std::make_unique<notifications::NotificationsModule>(
      env.config, *env.databases.at("notifications"), need(peers.users, "notifications", "users"),
      env.logger);
}

// --- the table --------------------------------------------------------------

// Every row with authenticated routes needs users (see Peers::authenticator).
constexpr std::array<std::string_view, 0> kNothing{};
constexpr std::array<std::string_view, 1> kUsers{"users"};
constexpr std::array<std::string_view, 2> kCatalogNeeds{"users", "inventory"};
constexpr std::array<std::string_view, 3> kCartNeeds{"users", "inventory", "catalog"};
constexpr std::array<std::string_view, 5> kOrdersNeeds{"users", "inventory", "catalog", "cart",
                                                       "payments"};

constexpr ServiceInfo kActivityDb{"activity", &events::migrations};
constexpr std::array<ServiceInfo, 1> kUsersDbs{{{"users", &users::migrations}}};
constexpr std::array<ServiceInfo, 2> kCatalogDbs{{{"catalog", &catalog::migrations}, kActivityDb}};
constexpr std::array<ServiceInfo, 1> kInventoryDbs{{{"inventory", &inventory::migrations}}};
constexpr std::array<ServiceInfo, 2> kCartDbs{{{"cart", &cart::migrations}, kActivityDb}};
constexpr std::array<ServiceInfo, 2> kPaymentsDbs{
    {{"payments", &payments::migrations}, {"sandbox", &payments::sandbox::migrations}}};
constexpr std::array<ServiceInfo, 2> kOrdersDbs{{{"orders", &orders::migrations}, kActivityDb}};
constexpr std::array<ServiceInfo, 1> kNotificationsDbs{
    {{"notifications", &notifications::migrations}}};

using catalog::CatalogModule;
using notifications::NotificationsService;
constexpr std::array<ConsumerQueue, 0> kNoConsumers{};
constexpr std::array<ConsumerQueue, 3> kCatalogConsumers{
    {{CatalogModule::kRatingsConsumer, CatalogModule::kRatingsPatterns},
     {CatalogModule::kPurchasesConsumer, CatalogModule::kPurchasesPatterns},
     {CatalogModule::kStockConsumer, CatalogModule::kStockPatterns}}};
constexpr std::array<ConsumerQueue, 1> kNotificationsConsumers{
    {{NotificationsService::kConsumerName, NotificationsService::kPatterns}}};

constexpr std::array<ConsumerQueue, 1> kOrdersConsumers{
    {{orders::OrdersModule::kProviderRefundsConsumer,
      orders::OrdersModule::kProviderRefundsPatterns}}};

// Inventory's admin routes ask the catalog which SKUs are sold (BackLinks).
constexpr std::array<std::string_view, 1> kReachesCatalog{"catalog"};

constexpr std::array<Row, 7> kTable{{
    {"users", kNothing, kUsersDbs, true, kNoConsumers, nullptr, &makeUsers, &connectUsers},
    {"inventory", kUsers, kInventoryDbs, true, kNoConsumers, nullptr, &makeInventory,
     &connectInventory, kReachesCatalog},
    {"catalog", kCatalogNeeds, kCatalogDbs, true, kCatalogConsumers, nullptr, &makeCatalog,
     &connectCatalog},
    {"cart", kCartNeeds, kCartDbs, true, kNoConsumers, nullptr, &makeCart, &connectCart},
    {"payments", kUsers, kPaymentsDbs, true, kNoConsumers, nullptr, &makePaymentsRow,
     &connectPayments},
    {"orders", kOrdersNeeds, kOrdersDbs, true, kOrdersConsumers, &validateOrderRecovery,
     &makeOrders},
    {"notifications", kUsers, kNotificationsDbs, false, kNotificationsConsumers, nullptr,
     &makeNotifications},
}};

const Row* rowNamed(std::string_view name) {
  for (const auto& row : kTable) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

// `wanted` and, transitively, the rows they need, in table order: built
// (selection.rows) or, for a need in `reachable`, reached (selection.remote).
void withNeeds(Selection& selection, std::span<const std::string> reachable) {
  enum class Place : std::uint8_t { kNone, kBuilt, kRemote };
  std::vector<Place> place(kTable.size(), Place::kNone);
  const auto index = [](const Row* row) { return static_cast<std::size_t>(row - kTable.data()); };
  std::vector<const Row*> stack(selection.active.begin(), selection.active.end());
  for (const Row* row : stack) place[index(row)] = Place::kBuilt;  // wanted: always built here
  while (!stack.empty()) {
    const Row* row = stack.back();
    stack.pop_back();
    for (const auto name : row->needs) {
      const Row* need = rowNamed(name);
      if (place[index(need)] != Place::kNone) continue;
      const bool remote = need->connect != nullptr &&
                          std::find(reachable.begin(), reachable.end(), name) != reachable.end();
      place[index(need)] = remote ? Place::kRemote : Place::kBuilt;
      if (!remote) stack.push_back(need);
    }
  }
  // What a built row reaches through a back link: connected when another
  // process serves it, else left to the row that builds it here (if any).
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (place[i] != Place::kBuilt) continue;
    for (const auto name : kTable[i].reaches) {
      const Row* reached = rowNamed(name);
      if (place[index(reached)] == Place::kNone && reached->connect != nullptr &&
          std::find(reachable.begin(), reachable.end(), name) != reachable.end()) {
        place[index(reached)] = Place::kRemote;
      }
    }
  }
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (place[i] == Place::kBuilt) selection.rows.push_back(&kTable[i]);
    if (place[i] == Place::kRemote) selection.remote.push_back(&kTable[i]);
  }
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::span<const Row> moduleTable() { return kTable; }

std::span<const ServiceInfo> services() {
  static const std::vector<ServiceInfo> kAll = [] {
    std::vector<ServiceInfo> all;
    for (const auto& row : kTable) {
      for (const auto& db : row.databases) {
        const bool seen = std::any_of(all.begin(), all.end(),
                                      [&db](const ServiceInfo& s) { return s.name == db.name; });
        if (!seen) all.push_back(db);
      }
    }
    return all;
  }();
  return kAll;
}

std::vector<std::string> targetNames() {
  std::vector<std::string> names(std::begin(kModes), std::end(kModes));
  for (const auto& row : kTable) names.emplace_back(row.name);
  return names;
}

std::string targetHelp() {
  std::string help =
      "What this process runs (EMPORIUM_TARGET):\n"
      "  all              every service, its routes, consumers and workers (default)\n"
      "  api              every service with HTTP routes; events relayed, not consumed "
      "(needs amqp.url)\n"
      "  worker           the event consumers and the services they need; no routes "
      "(needs amqp.url)\n"
      "  payment-sandbox  the sandbox card provider alone\n"
      "  gateway          the public API in front of the services' instances "
      "([services.<name>] urls); no database";
  for (const auto& row : kTable) {
    std::string line = "  " + std::string(row.name);
    line.resize(std::max<std::size_t>(line.size() + 1, 19), ' ');
    const bool consumes = !row.consumers.empty();
    const char* what = row.routes && consumes ? "routes and event consumers"
                       : row.routes           ? "routes"
                                              : "event consumers";
    line += "the " + std::string(row.name) + " service's " + what;
    if (!row.needs.empty()) {
      std::vector<std::string> needs(row.needs.begin(), row.needs.end());
      line += " (" + joined(needs) + " built in process, not served)";
    }
    help += "\n" + line;
  }
  for (const auto& future : kFutureTargets) {
    std::string line = "  " + std::string(future.name);
    line.resize(19, ' ');
    help += "\n" + line + std::string(future.why);
  }
  help +=
      "\nA need is called over HTTP instead of built when [services.<name>] urls and the "
      "service credential are set (every service but orders and notifications).";
  return help;
}

Selection select(std::string_view target, std::span<const std::string> reachable) {
  Selection selection;
  std::vector<const Row*> wanted;
  if (target == "all" || target == "api" || target == "worker") {
    for (const auto& row : kTable) {
      if (target == "all" || (target == "api" && row.routes) ||
          (target == "worker" && !row.consumers.empty())) {
        wanted.push_back(&row);
      }
    }
    selection.routes = target != "worker";
    selection.background = target != "worker";
    selection.relay = target != "worker";
    selection.consumers = target != "api";
  } else if (const Row* row = rowNamed(target)) {
    wanted.push_back(row);
  } else {
    throw std::invalid_argument("--target " + std::string(target) +
                                " selects no services; one of: " + joined(targetNames()));
  }
  selection.active = wanted;
  withNeeds(selection, reachable);
  return selection;
}

std::vector<std::string> reachableServices(const config::Config& config) {
  std::vector<std::string> names;
  if (!config.internal_secret) return names;  // the internal routes refuse every call without it
  for (const auto& row : kTable) {
    if (row.connect != nullptr && config.service_urls.contains(std::string(row.name))) {
      names.emplace_back(row.name);
    }
  }
  return names;
}

std::vector<const Row*> rowsFor(std::string_view target) { return select(target).rows; }

std::vector<QueueTopology> consumerQueues() {
  std::vector<QueueTopology> queues;
  for (const auto& row : kTable) {
    for (const auto& queue : row.consumers) {
      queues.push_back({std::string(queue.name), {queue.patterns.begin(), queue.patterns.end()}});
    }
  }
  return queues;
}

std::vector<std::string_view> databasesOf(std::span<const Row* const> rows) {
  std::vector<std::string_view> names;
  for (const Row* row : rows) {
    for (const auto& db : row->databases) {
      if (std::find(names.begin(), names.end(), db.name) == names.end()) names.push_back(db.name);
    }
  }
  return names;
}

std::optional<http::ApiError> translateError(const std::exception& e) {
  if (const auto* peer = dynamic_cast<const net::PeerError*>(&e)) {
    http::ApiError api(503, "service-unavailable", "Service Unavailable",
                       "the " + peer->service() + " service is unavailable; retry shortly");
    api.headers().emplace_back("Retry-After", "1");
    api.headers().emplace_back(std::string(http::kUnavailableDependencyHeader), peer->service());
    return api;
  }
  if (const auto* sql_error = dynamic_cast<const sql::Error*>(&e)) {
    if (sql_error->kind() == sql::ErrorKind::kConnection ||
        sql_error->kind() == sql::ErrorKind::kBusy) {
      http::ApiError api(503, "service-unavailable", "Service Unavailable",
                         "a database is unavailable or overloaded; retry shortly");
      api.headers().emplace_back("Retry-After", "1");
      return api;
    }
    if (sql_error->kind() == sql::ErrorKind::kInvalidValue) {
      return http::ApiError::badRequest("a value in the request cannot be stored or compared");
    }
  }
  return std::nullopt;
}

}  // namespace emporium::app
