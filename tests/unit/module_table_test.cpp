// The module table (app/module_table): which rows, and so which services and
// databases, each --target builds. Nothing is constructed here: the table is
// data, checked as such.

#include "app/module_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/net/peer_error.hpp"
#include "core/sql/database.hpp"

namespace emporium::app {
namespace {

std::vector<std::string> namesOf(const std::vector<const Row*>& rows) {
  std::vector<std::string> names;
  for (const Row* row : rows) names.emplace_back(row->name);
  return names;
}

std::set<std::string> setOf(const std::vector<std::string_view>& names) {
  return {names.begin(), names.end()};
}

TEST(ModuleTable, NeedsFormNoCycle) {
  // Every need names a row earlier in the table: the needs form no cycle,
  // and building rows in table order fills each row's peers before it.
  std::set<std::string_view> before;
  for (const auto& row : moduleTable()) {
    EXPECT_FALSE(before.contains(row.name)) << row.name << " twice";
    for (const auto need : row.needs) {
      EXPECT_TRUE(before.contains(need))
          << row.name << " needs " << need << ", which is not an earlier row";
    }
    EXPECT_NE(row.make, nullptr) << row.name;
    EXPECT_FALSE(row.databases.empty()) << row.name;
    EXPECT_TRUE(row.routes || !row.consumers.empty()) << row.name << " serves nothing";
    before.insert(row.name);
  }
  EXPECT_EQ(before.size(), 7U);
}

TEST(ModuleTable, EveryTargetIsARowOrAKnownMode) {
  const auto targets = targetNames();
  std::set<std::string> rows;
  for (const auto& row : moduleTable()) rows.emplace(row.name);
  const std::set<std::string> modes(std::begin(kModes), std::end(kModes));
  EXPECT_EQ(targets.size(), rows.size() + modes.size());
  const auto help = targetHelp();
  for (const auto& target : targets) {
    EXPECT_TRUE(rows.contains(target) || modes.contains(target)) << target;
    EXPECT_NE(help.find("  " + target + " "), std::string::npos) << target << " not in help";
    // The sandbox listener alone, and the gateway, which calls the services'
    // instances over HTTP: no rows.
    if (target == "payment-sandbox" || target == "gateway") continue;
    const auto selection = select(target);
    EXPECT_FALSE(selection.rows.empty()) << target;
    EXPECT_FALSE(selection.active.empty()) << target;
    if (rows.contains(target)) {
      EXPECT_EQ(namesOf(selection.active), std::vector<std::string>{target});
    }
  }
  // Named but not built: in the help, refused as a target.
  for (const auto& future : kFutureTargets) {
    EXPECT_EQ(std::count(targets.begin(), targets.end(), future.name), 0) << future.name;
    EXPECT_NE(help.find(std::string(future.name)), std::string::npos);
    EXPECT_THROW(select(future.name), std::invalid_argument);
  }
  EXPECT_THROW(select("everything"), std::invalid_argument);
  // `all` builds and runs every row; `api` every row with routes (today's meaning).
  EXPECT_EQ(rowsFor("all").size(), moduleTable().size());
  EXPECT_EQ(select("all").active.size(), moduleTable().size());
  const auto api = select("api");
  for (const Row* row : api.active) EXPECT_TRUE(row->routes) << row->name;
  EXPECT_TRUE(api.routes && api.relay && !api.consumers);
}

TEST(ModuleTable, WorkerSelectsOnlyConsumersAndTheirNeeds) {
  const auto worker = select("worker");
  EXPECT_FALSE(worker.routes);
  EXPECT_FALSE(worker.relay);
  EXPECT_FALSE(worker.background);
  EXPECT_TRUE(worker.consumers);
  for (const Row* row : worker.active) EXPECT_FALSE(row->consumers.empty()) << row->name;
  // Orders books refunds made at the card provider (orders.provider_refunds).
  EXPECT_EQ(namesOf(worker.active),
            (std::vector<std::string>{"catalog", "orders", "notifications"}));
  // Their needs, and nothing else.
  EXPECT_EQ(namesOf(worker.rows),
            (std::vector<std::string>{"users", "inventory", "catalog", "cart", "payments", "orders",
                                      "notifications"}));
  // With the services' URLs, their needs are reached, not built.
  const std::vector<std::string> remote{"users", "inventory", "catalog", "cart", "payments"};
  const auto lean = select("worker", remote);
  EXPECT_EQ(namesOf(lean.rows), (std::vector<std::string>{"catalog", "orders", "notifications"}));
  const auto dbs = setOf(databasesOf(lean.rows));
  EXPECT_FALSE(dbs.contains("payments"));
  EXPECT_FALSE(dbs.contains("cart"));
  EXPECT_FALSE(dbs.contains("inventory"));
}

TEST(ModuleTable, TargetCatalogOpensOnlyItsDatabases) {
  const auto rows = rowsFor("catalog");
  EXPECT_EQ(namesOf(rows), (std::vector<std::string>{"users", "inventory", "catalog"}));
  EXPECT_EQ(setOf(databasesOf(rows)),
            (std::set<std::string>{"catalog", "users", "inventory", "activity"}));
  // Every database once, whichever rows share it (activity: catalog, cart, orders).
  const auto all = databasesOf(rowsFor("all"));
  EXPECT_EQ(all.size(), setOf(all).size());
  EXPECT_EQ(all.size(), services().size());
}

// Issue 15: a need another process serves, with the URLs of its instances and
// the service credential configured, is called over HTTP and not built: its
// database is not opened, its own needs are not followed.
TEST(ModuleTable, ANeedAnotherProcessServesIsReachedNotBuilt) {
  const std::vector<std::string> inventory{"inventory"};
  const auto catalog = select("catalog", inventory);
  EXPECT_EQ(namesOf(catalog.rows), (std::vector<std::string>{"users", "catalog"}));
  EXPECT_EQ(namesOf(catalog.remote), std::vector<std::string>{"inventory"});
  EXPECT_EQ(setOf(databasesOf(catalog.rows)),
            (std::set<std::string>{"catalog", "users", "activity"}));
  const auto orders = select("orders", inventory);
  EXPECT_EQ(namesOf(orders.rows),
            (std::vector<std::string>{"users", "catalog", "cart", "payments", "orders"}));
  EXPECT_EQ(namesOf(orders.remote), std::vector<std::string>{"inventory"});
  // A row this process runs is always built here, whatever is configured.
  for (const char* target : {"inventory", "all", "api"}) {
    const auto selection = select(target, inventory);
    EXPECT_TRUE(selection.remote.empty()) << target;
    EXPECT_EQ(selection.rows, select(target).rows) << target;
  }
  // Orders with every peer reached over HTTP: only orders is built, and
  // only its databases are opened (no users database: tokens are checked
  // with the users service's JWKS).
  const std::vector<std::string> all_remote{"users", "inventory", "catalog", "cart", "payments"};
  const auto lean = select("orders", all_remote);
  EXPECT_EQ(namesOf(lean.rows), std::vector<std::string>{"orders"});
  EXPECT_EQ(namesOf(lean.remote),
            (std::vector<std::string>{"users", "inventory", "catalog", "cart", "payments"}));
  EXPECT_EQ(setOf(databasesOf(lean.rows)), (std::set<std::string>{"orders", "activity"}));
  // Inventory alone connects the catalog its admin routes ask which SKUs are
  // sold, when another process serves it, but never builds it for that.
  const std::vector<std::string> catalog_remote{"catalog"};
  const auto inventory_alone = select("inventory", catalog_remote);
  EXPECT_EQ(namesOf(inventory_alone.rows), (std::vector<std::string>{"users", "inventory"}));
  EXPECT_EQ(namesOf(inventory_alone.remote), std::vector<std::string>{"catalog"});
  EXPECT_TRUE(select("inventory").remote.empty());
  EXPECT_EQ(namesOf(select("inventory").rows), (std::vector<std::string>{"users", "inventory"}));
  // A service with no remote client (notifications: nothing calls it) is
  // never reached; orders is what nothing needs.
  const std::set<std::string> remote_capable{"users", "inventory", "catalog", "cart", "payments"};
  for (const auto& row : moduleTable()) {
    EXPECT_EQ(row.connect != nullptr, remote_capable.contains(std::string(row.name))) << row.name;
  }
}

TEST(ModuleTable, OnlyServicesWithUrlsAndTheCredentialAreReachable) {
  config::Config config;
  config.service_urls["inventory"] = {"http://127.0.0.1:9103"};
  config.service_urls["catalog"] = {"http://127.0.0.1:9102"};
  // Without the credential every internal route refuses the call.
  EXPECT_TRUE(reachableServices(config).empty());
  config.internal_secret = std::string(40, 's');
  EXPECT_EQ(reachableServices(config), (std::vector<std::string>{"inventory", "catalog"}));
  config.service_urls.erase("inventory");
  EXPECT_EQ(reachableServices(config), std::vector<std::string>{"catalog"});
  config.service_urls["notifications"] = {"http://127.0.0.1:9107"};  // no remote client
  EXPECT_EQ(reachableServices(config), std::vector<std::string>{"catalog"});
}

// A process that publishes declares every consumer's queue first (RabbitMQ
// drops an event no queue is bound for), including consumers it does not run:
// `api` publishes what `worker` consumes.
TEST(ModuleTable, ConsumerQueuesAreEveryConsumerOfTheBinary) {
  std::set<std::string> queues;
  for (const auto& queue : consumerQueues()) {
    queues.insert(queue.name);
    EXPECT_FALSE(queue.patterns.empty()) << queue.name;
  }
  EXPECT_EQ(queues, std::set<std::string>(std::begin(kConsumerNames), std::end(kConsumerNames)));
}

// What a request gets when a service it calls, or a database, cannot answer:
// 503 with Retry-After, naming the service; other errors stay 500s. Only the
// unavailable peer is a dependency's fault (its callers' breakers skip it).
TEST(ModuleTable, AnUnavailablePeerOrDatabaseIs503WithRetryAfter) {
  const auto peer = translateError(net::PeerError("inventory", "reserve: unreachable"));
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->status(), 503);
  EXPECT_NE(peer->detail().find("inventory"), std::string::npos) << peer->detail();
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(peer->headers(),
            (Headers{{"Retry-After", "1"},
                     {std::string(http::kUnavailableDependencyHeader), "inventory"}}));
  const auto db = translateError(sql::Error(sql::ErrorKind::kConnection, "down"));
  ASSERT_TRUE(db.has_value());
  EXPECT_EQ(db->status(), 503);
  EXPECT_EQ(db->headers(), (Headers{{"Retry-After", "1"}}));
  EXPECT_FALSE(translateError(std::runtime_error("a bug")).has_value());
}

}  // namespace
}  // namespace emporium::app
