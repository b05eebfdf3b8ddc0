#include "app/consumers.hpp"

#include <algorithm>
#include <utility>

#include "app/commands.hpp"
#include "app/event_wiring.hpp"
#include "core/events/outbox.hpp"
#include "services/orders/orders_module.hpp"

namespace emporium::app {

namespace {

// A consumer whose only record of handled events is its processed_events
// marks in `db` (its effects are recomputed from the database, so handling an
// event again repeats nothing).
ReplayableConsumer markedIn(events::Consumer consumer, sql::Database& db) {
  auto forget = [&db, name = consumer.name](const std::string& event_id) {
    db.write([&](sql::Session& session) { events::forgetEvent(session, name, event_id); });
  };
  return {std::move(consumer), std::move(forget)};
}

std::string consumerList() {
  std::string list;
  for (const auto known : kConsumerNames) list += (list.empty() ? "" : ", ") + std::string(known);
  return list;
}

}  // namespace

EventConsumers::EventConsumers(const config::Config& config, const Databases& databases,
                               users::Client& users, catalog::CatalogModule& catalog,
                               const log::Logger& logger)
    : notifications_(config, *databases.at("notifications"), users, logger),
      catalog_(catalog),
      catalog_db_(*databases.at("catalog")) {}

std::vector<ReplayableConsumer> EventConsumers::replayable() {
  std::vector<ReplayableConsumer> consumers;
  consumers.push_back({notifications_.consumer(),
                       [this](const std::string& event_id) { notifications_.forget(event_id); }});
  consumers.push_back(markedIn(catalog_.ratingsConsumer(), catalog_db_));
  consumers.push_back(markedIn(catalog_.purchasesConsumer(), catalog_db_));
  // Levels carry versions, not marks: a replay applies only those newer than
  // the catalog holds (after restoring an older catalog backup, say).
  consumers.push_back({catalog_.stockConsumer(), [](const std::string&) {}});
  return consumers;
}

std::vector<events::Consumer> EventConsumers::all() {
  std::vector<events::Consumer> consumers;
  for (auto& entry : replayable()) consumers.push_back(std::move(entry.consumer));
  return consumers;
}

ReplayableConsumer EventConsumers::named(std::string_view name) {
  for (auto& entry : replayable()) {
    if (entry.consumer.name == name) return std::move(entry);
  }
  requireConsumerName(name, "--to");
  if (name == orders::OrdersModule::kProviderRefundsConsumer) {
    // It would need the whole orders service (and its peers) in this command;
    // its dead letters are sent again with `dlq replay` instead.
    throw UsageError(std::string(name) +
                     " is not replayed from the command line: a refund made at the card provider "
                     "is booked on its order once; `emporium dlq replay --consumer " +
                     std::string(name) + " --all` sends the ones it could not handle again");
  }
  // A name in kConsumerNames that nothing above builds is this file's bug.
  throw std::logic_error("consumer " + std::string(name) + " is listed but not built");
}

void requireConsumerName(std::string_view name, std::string_view option) {
  const bool known = std::find(std::begin(kConsumerNames), std::end(kConsumerNames), name) !=
                     std::end(kConsumerNames);
  if (!known) {
    throw UsageError(std::string(option) + " must be one of: " + consumerList() + " (not '" +
                     std::string(name) + "')");
  }
}

cache::Options catalogCacheOptions(const config::Config& config, const Databases& databases) {
  cache::Options options;
  options.redis_url = config.redis_url;
  options.l4_max_bytes = config.cache_max_bytes;
  options.redis.prefix =
      "emporium:" + sql::sha256Hex(databases.at("catalog")->describe()).substr(0, 12) + ":cache:";
  return options;
}

}  // namespace emporium::app
