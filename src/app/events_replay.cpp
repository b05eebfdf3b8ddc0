// `emporium events replay --from TIME [--to CONSUMER]`: the event log since a
// time, printed, or fed again to one consumer. The log is the activity events
// and the domain events still in the services' outboxes (published ones are
// kept for the outbox retention, see LocalDispatcher's DispatcherOptions).

#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/commands.hpp"
#include "app/consumers.hpp"
#include "app/event_wiring.hpp"
#include "app/services.hpp"
#include "core/events/outbox.hpp"
#include "core/util/ids.hpp"
#include "services/users/users_client.hpp"

namespace emporium::app {

namespace {

// The domain events still in the outboxes since a time, oldest first across
// every outbox and in outbox (publication) order within one, read a page at
// a time: a week of a busy shop's events need not fit in memory.
class OutboxLog {
 public:
  OutboxLog(const std::vector<const events::Outbox*>& outboxes, std::string since)
      : since_(std::move(since)) {
    for (const events::Outbox* outbox : outboxes) cursors_.push_back({outbox});
  }

  /// The oldest event not returned yet, if it occurred at or before `until`
  /// (no bound when empty); nullopt when there is none.
  std::optional<events::Event> next(std::string_view until = {}) {
    Cursor* oldest = nullptr;
    for (Cursor& cursor : cursors_) {
      fill(cursor);
      if (cursor.page.empty()) continue;
      if (oldest == nullptr || cursor.page.front().occurred_at < oldest->page.front().occurred_at) {
        oldest = &cursor;
      }
    }
    if (oldest == nullptr) return std::nullopt;
    if (!until.empty() && oldest->page.front().occurred_at > until) return std::nullopt;
    events::Event event = std::move(oldest->page.front());
    oldest->page.pop_front();
    return event;
  }

 private:
  static constexpr std::size_t kPage = 500;

  struct Cursor {
    const events::Outbox* outbox;
    std::int64_t after_seq = 0;
    std::deque<events::Event> page;
    bool exhausted = false;
  };

  void fill(Cursor& cursor) const {
    if (!cursor.page.empty() || cursor.exhausted) return;
    auto rows = cursor.outbox->since(since_, cursor.after_seq, kPage);
    cursor.exhausted = rows.size() < kPage;
    for (auto& row : rows) {
      cursor.after_seq = row.seq;
      cursor.page.push_back(std::move(row.event));
    }
  }

  std::string since_;
  std::vector<Cursor> cursors_;
};

// What the consumers call into, assembled as `serve` assembles it, less the
// HTTP side: the users' store (mail recipients), the catalog (ratings and
// purchases) over the shop's shared cache, so invalidations reach the shop.
struct ConsumerHost {
  ConsumerHost(const config::Config& config, const Databases& databases,
               const EventSources& sources, const log::Logger& logger)
      : user_store(*databases.at("users"), sources.outbox("users")),
        addresses(*databases.at("users")),
        users_client(user_store, addresses),
        cache(catalogCacheOptions(config, databases)),
        activity(makeActivityLog(config, databases, logger)),
        catalog_module(*databases.at("catalog"), sources.outbox("catalog"), cache, *activity,
                       logger,
                       [this](const std::string& user_id) -> std::optional<std::string> {
                         const auto name = users_client.name(user_id);
                         if (!name) return std::nullopt;
                         return catalog::reviewerDisplayName(*name);
                       }),
        consumers(config, databases, users_client, catalog_module, logger) {}

  users::UserStore user_store;
  users::AddressStore addresses;
  users::LocalClient users_client;
  cache::TieredCache cache;
  std::unique_ptr<events::ActivityLog> activity;
  catalog::CatalogModule catalog_module;
  EventConsumers consumers;
};

bool subscribes(const events::Consumer& consumer, const std::string& type) {
  for (const auto& pattern : consumer.patterns) {
    if (events::topicMatches(pattern, type)) return true;
  }
  return false;
}

// Hands one event to the consumer again, its marks deleted first; a failure
// is reported and returned, so the other events are still fed.
bool feed(const ReplayableConsumer& target, const events::Event& event) {
  try {
    target.forget(event.id);
    target.consumer.handle(event);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emporium: error: %s (%s) failed in %s: %s\n", event.id.c_str(),
                 event.type.c_str(), target.consumer.name.c_str(), e.what());
    return false;
  }
  std::printf("%s\n", events::toJson(event).c_str());
  return true;
}

int replayTo(const config::Config& config, std::chrono::system_clock::time_point from,
             const EventsReplayArgs& args, std::string_view pattern) {
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  const EventSources sources(databases);
  ConsumerHost host(config, databases, sources, logger);
  const ReplayableConsumer target = host.consumers.named(args.to);
  OutboxLog log(sources.all(), util::formatRfc3339(from));
  std::size_t fed = 0;
  std::size_t failed = 0;
  while (auto event = log.next()) {
    if (!subscribes(target.consumer, event->type) || !events::topicMatches(pattern, event->type)) {
      continue;
    }
    if (feed(target, *event)) {
      ++fed;
    } else {
      ++failed;
    }
    std::fflush(stdout);
  }
  std::fprintf(stderr, "%zu event(s) since %s fed to %s, %zu failed\n", fed,
               util::formatRfc3339(from).c_str(), args.to.c_str(), failed);
  return failed == 0 ? 0 : 1;
}

int printLog(const config::Config& config, std::chrono::system_clock::time_point from,
             std::string_view pattern) {
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  const EventSources sources(databases);
  const auto activity = makeActivityLog(config, databases, logger);
  OutboxLog domain(sources.all(), util::formatRfc3339(from));
  std::size_t printed = 0;
  const auto print = [&](const events::Event& event) {
    if (!events::topicMatches(pattern, event.type)) return;
    std::printf("%s\n", events::toJson(event).c_str());
    ++printed;
  };
  // The activity log pushes its events; the outboxes' are pulled in between,
  // so the two come out merged in time order.
  activity->replay(from, [&](const events::Event& event) {
    while (auto earlier = domain.next(event.occurred_at)) print(*earlier);
    print(event);
  });
  while (auto rest = domain.next()) print(*rest);
  std::fflush(stdout);
  std::fprintf(stderr, "%zu event(s) since %s\n", printed, util::formatRfc3339(from).c_str());
  return 0;
}

}  // namespace

int runEventsReplay(const config::Config& config, const EventsReplayArgs& args) {
  const auto from = util::parseRfc3339(args.from);
  if (!from) {
    throw UsageError("--from must be a UTC time like 2026-11-26T10:00:00Z or a date");
  }
  // Checked before anything is opened: a typo costs no connection, no migration.
  if (!args.to.empty()) requireConsumerName(args.to, "--to");
  const std::string pattern = args.type.empty() ? "#" : args.type;
  if (!args.to.empty()) return replayTo(config, *from, args, pattern);
  return printLog(config, *from, pattern);
}

}  // namespace emporium::app
