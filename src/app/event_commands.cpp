// `emporium dlq list|replay`: what an operator needs to see events that could
// not be handled and send them again once the cause is fixed (`emporium events
// replay` is in events_replay.cpp).

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/consumers.hpp"
#include "app/event_wiring.hpp"
#include "app/services.hpp"
#include "core/events/outbox.hpp"
#include "core/json/writer.hpp"

namespace emporium::app {

namespace {

void printDead(const std::string& where, const events::Event& event, int attempts,
               const std::string& dead_at, const std::string& error, bool json) {
  if (json) {
    // One JSON object a line: the event's wire form plus where and why it died.
    // A message that was not an event at all keeps its body as a string.
    json::Writer w;
    w.startObject();
    if (event.id.empty()) {
      w.member("raw_body", event.payload);
    } else {
      w.member("id", event.id)
          .member("type", event.type)
          .member("version", event.version)
          .member("occurred_at", event.occurred_at)
          .member("source", event.source)
          .key("payload")
          .raw(event.payload);
    }
    w.key("dead")
        .startObject()
        .member("queue", where)
        .member("attempts", attempts)
        .member("dead_at", dead_at)
        .member("error", error)
        .endObject()
        .endObject();
    std::printf("%s\n", std::string(w.view()).c_str());
    return;
  }
  std::printf("%-24s %-32s %-18s %8d  %-27s %s\n", where.c_str(), event.id.c_str(),
              event.type.c_str(), attempts, dead_at.c_str(), error.c_str());
}

}  // namespace

int runDlqList(const config::Config& config, const DlqArgs& args) {
  if (!args.consumer.empty()) requireConsumerName(args.consumer, "--consumer");
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  EventSources sources(databases);
  if (!args.json) {
    std::printf("%-24s %-32s %-18s %8s  %-27s %s\n", "QUEUE", "EVENT", "TYPE", "ATTEMPTS",
                "DEAD AT", "LAST ERROR");
  }
  std::size_t count = 0;
  for (const DeadLetterEntry& dead : listDeadLetters(config, sources, args.consumer)) {
    printDead(dead.queue, dead.event, dead.attempts, dead.dead_at, dead.last_error, args.json);
    ++count;
  }
  if (!args.json) std::fprintf(stderr, "%zu dead-lettered event(s)\n", count);
  return 0;
}

int runDlqReplay(const config::Config& config, const DlqArgs& args) {
  if (args.event_ids.empty() == !args.all) {
    throw UsageError("dlq replay needs --id EVENT... or --all (not both)");
  }
  if (!args.consumer.empty()) requireConsumerName(args.consumer, "--consumer");
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  EventSources sources(databases);
  if (args.all) {
    std::printf("replayed %zu event(s)\n", replayDeadLetters(config, sources, args.consumer, ""));
    return 0;
  }
  std::size_t replayed = 0;
  std::vector<std::string> missing;
  for (const auto& id : args.event_ids) {
    if (id.empty()) throw UsageError("--id needs an event id");
    const std::size_t n = replayDeadLetters(config, sources, args.consumer, id);
    if (n == 0) missing.push_back(id);
    replayed += n;
  }
  std::printf("replayed %zu event(s)\n", replayed);
  for (const auto& id : missing) {
    std::fprintf(stderr, "emporium: no dead-lettered event %s\n", id.c_str());
  }
  return missing.empty() ? 0 : 1;
}

}  // namespace emporium::app
