#include "app/commands.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "app/services.hpp"
#include "core/events/outbox.hpp"
#include "services/catalog/seed/loader.hpp"
#include "services/catalog/stock_handover.hpp"
#include "services/catalog/storage/stock_mirror_store.hpp"
#include "services/inventory/inventory_service.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/domain/password.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::app {

int runMigrate(const config::Config& config) {
  log::Logger logger(config.log_level);
  std::map<std::string, sql::MigrationReport> reports;
  const auto databases = openDatabases(config, logger, {}, &reports);
  for (const auto& [name, db] : databases) {
    const auto& report = reports.at(name);
    if (report.applied.empty()) {
      std::printf("%s: up to date at version %d (%s)\n", name.c_str(), report.current_version,
                  db->describe().c_str());
      continue;
    }
    std::string versions;
    for (const int v : report.applied)
      versions += (versions.empty() ? "" : ", ") + std::to_string(v);
    std::printf("%s: applied %zu migration%s (%s), now at version %d (%s)\n", name.c_str(),
                report.applied.size(), report.applied.size() == 1 ? "" : "s", versions.c_str(),
                report.current_version, db->describe().c_str());
  }
  return 0;
}

int runUserCreate(const config::Config& config, const UserCreateArgs& args) {
  if (const auto why = users::checkEmail(args.email)) {
    throw std::invalid_argument("--email " + *why);
  }
  if (const auto why = users::checkPassword(args.password)) {
    throw std::invalid_argument("--password " + *why);
  }
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  // The welcome event waits in the outbox for the next `serve` to deliver.
  events::Doorbell doorbell;
  const events::Outbox outbox("users", *databases.at("users"), doorbell);
  users::UserStore store(*databases.at("users"), outbox);
  const std::string name =
      args.name.empty() ? args.email.substr(0, args.email.find('@')) : args.name;
  const auto user = store.create({args.email, name, users::hashPassword(args.password),
                                  args.admin ? users::Role::kAdmin : users::Role::kCustomer});
  if (!user) throw std::runtime_error("a user with email " + args.email + " already exists");
  std::printf("created %s %s (%s)\n", std::string(users::roleName(user->role)).c_str(),
              user->email.c_str(), user->id.c_str());
  return 0;
}

int runSeed(const config::Config& config, const SeedArgs& args) {
  namespace seed = catalog::seed;
  if (args.products < 1 || args.products > seed::kMaxSeedProducts) {
    throw std::invalid_argument("--products must be between 1 and " +
                                std::to_string(seed::kMaxSeedProducts) + " (got " +
                                std::to_string(args.products) + ")");
  }
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  sql::Database& db = *databases.at("catalog");

  seed::SeedOptions options;
  options.products = args.products;
  options.seed = args.seed;
  options.if_empty = args.if_empty;
  // Timestamps end at the start of today (UTC): the same --seed gives the
  // same catalog all day, and "new arrivals" still look recent.
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  options.now_micros =
      std::chrono::duration_cast<std::chrono::microseconds>(today.time_since_epoch()).count();

  // Progress every 5%: enough to see it move on a million products without
  // flooding a terminal.
  std::int64_t next_report_percent = 5;
  const auto on_progress = [&next_report_percent](const seed::SeedProgress& progress) {
    const std::int64_t percent = progress.products_done * 100 / progress.products_total;
    if (percent < next_report_percent && progress.products_done != progress.products_total) return;
    next_report_percent = percent / 5 * 5 + 5;
    std::fprintf(stderr, "seed: %lld/%lld products (%lld%%), %.0fs\n",
                 static_cast<long long>(progress.products_done),
                 static_cast<long long>(progress.products_total), static_cast<long long>(percent),
                 std::chrono::duration<double>(progress.elapsed).count());
  };
  const seed::SeedReport report = seed::seedCatalog(db, options, on_progress);
  if (report.skipped) {
    std::printf("catalog already has %lld products; not seeding\n",
                static_cast<long long>(report.existing_products));
    return 0;
  }
  const double seconds = std::chrono::duration<double>(report.elapsed).count();
  // Products go to leaf categories only; the tree has more (issue 14: "240
  // categories" was printed for a tree of 312).
  const std::string tree =
      report.categories_created > 0
          ? " of a new tree of " + std::to_string(report.categories_created) + " categories"
          : std::string();
  std::printf(
      "seeded %lld products (ids %lld-%lld), %lld variants, %lld reviews in %lld leaf "
      "categories%s into %s in %.1fs (%.0f products/s)\n",
      static_cast<long long>(report.products), static_cast<long long>(report.first_product_id),
      static_cast<long long>(report.first_product_id + report.products - 1),
      static_cast<long long>(report.variants), static_cast<long long>(report.reviews),
      static_cast<long long>(report.categories_used), tree.c_str(), db.describe().c_str(), seconds,
      seconds > 0 ? static_cast<double>(report.products) / seconds : 0.0);
  // Inventory owns stock: the new SKUs get their generated stock there too.
  events::Doorbell doorbell;
  catalog::StockMirrorStore catalog_stock(db);
  const events::Outbox inventory_outbox("inventory", *databases.at("inventory"), doorbell);
  inventory::InventoryService inventory(*databases.at("inventory"), inventory_outbox,
                                        config.low_stock_threshold);
  const auto carried = catalog::handOverStock(catalog_stock, inventory, logger);
  std::printf("stock for %lld SKUs carried over to inventory\n", static_cast<long long>(carried));
  return 0;
}

int runKeysRotate(const config::Config& config) {
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  users::KeyStore store(*databases.at("users"), keyEncryptionKey(config, logger));
  users::KeyRing ring(store);
  const auto previous = ring.activeKid();
  ring.rotate();
  std::printf("signing key rotated: %s -> %s (other processes pick it up within 30 s)\n",
              previous.c_str(), ring.activeKid().c_str());
  return 0;
}

}  // namespace emporium::app
