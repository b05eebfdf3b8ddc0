#pragma once
// The emporium subcommands. Each returns the process exit code.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace emporium::app {

/// Command-line input that CLI11 could not check (a malformed time, an unknown
/// name): main prints it and exits 2, as for a bad configuration value.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Runs the shop until SIGTERM/SIGINT, then drains and returns 0.
int runServe(const config::Config& config);

/// Applies pending migrations of every service and exits.
int runMigrate(const config::Config& config);

struct UserCreateArgs {
  std::string email;
  std::string password;
  std::string name;
  bool admin = false;
};
int runUserCreate(const config::Config& config, const UserCreateArgs& args);

struct SeedArgs {
  std::int64_t products = 0;
  std::uint64_t seed = 1;
  bool if_empty = false;
};
/// Loads a generated demo catalog (categories, products, variants, reviews)
/// into the catalog database; progress on stderr, a summary on stdout.
int runSeed(const config::Config& config, const SeedArgs& args);

/// Starts signing access tokens with a new key. Tokens signed with the old
/// one stay valid until they expire, so nobody is signed out.
int runKeysRotate(const config::Config& config);

struct DlqArgs {
  std::string consumer;                // empty: every consumer
  std::vector<std::string> event_ids;  // replay: these
  bool all = false;                    // replay: every one
  bool json = false;                   // list: one JSON object a line
};
/// Lists dead-lettered events (RabbitMQ's dead-letter queues with amqp.url,
/// else the outboxes' dead rows).
int runDlqList(const config::Config& config, const DlqArgs& args);
/// Sends dead-lettered events to their consumers again, attempts reset.
int runDlqReplay(const config::Config& config, const DlqArgs& args);

struct EventsReplayArgs {
  std::string from;  // RFC 3339 UTC or a date
  std::string type;  // topic pattern; empty: all
  std::string to;    // a consumer (kConsumerNames); empty: print the log
};
/// Without `to`: writes the activity events and the domain events still in
/// the outboxes since `from` to stdout, one JSON object a line, oldest first.
/// With `to`: hands that consumer's domain events since `from` to its handler
/// again, its processed-event marks for them deleted first; exit 1 when a
/// handler failed for any of them.
int runEventsReplay(const config::Config& config, const EventsReplayArgs& args);

}  // namespace emporium::app
