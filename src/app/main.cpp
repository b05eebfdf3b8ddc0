// emporium: one binary for the whole shop. See `emporium --help`.

#include <curl/curl.h>
#include <sodium.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

#include "app/commands.hpp"
#include "app/module_table.hpp"
#include "core/config/config.hpp"

namespace {

using emporium::config::Config;

// Flags shared by every command that touches data; values land in `flags`
// under the config key they set, so config::load applies one precedence rule.
void addDataFlags(CLI::App& cmd, std::map<std::string, std::string>& flags,
                  std::optional<std::string>& config_file) {
  cmd.add_option_function<std::string>(
         "--data-dir", [&flags](const std::string& v) { flags["data_dir"] = v; },
         "Directory for SQLite files, mail and media (default ./data; EMPORIUM_DATA_DIR)")
      ->type_name("DIR");
  cmd.add_option_function<std::string>(
         "--config", [&config_file](const std::string& v) { config_file = v; },
         "TOML configuration file (EMPORIUM_CONFIG); see deploy/emporium.example.toml")
      ->type_name("FILE");
  cmd.add_option_function<std::string>(
         "--log-level", [&flags](const std::string& v) { flags["log.level"] = v; },
         "debug, info, warn or error (default info; EMPORIUM_LOG_LEVEL)")
      ->type_name("LEVEL");
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "emporium: error: libsodium failed to initialise\n");
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);

  CLI::App cli{
      "Emporium: an e-commerce platform (catalog, carts, checkout, orders, payments).\n"
      "Every option can also be set with an EMPORIUM_* environment variable or a TOML file;\n"
      "EMPORIUM_POSTGRES_URL, EMPORIUM_REDIS_URL, EMPORIUM_AMQP_URL and EMPORIUM_SMTP_URL\n"
      "switch from the embedded defaults (SQLite, in-process cache and queue, .eml files)\n"
      "to real servers.",
      "emporium"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "emporium 0.1.0");

  std::map<std::string, std::string> flags;
  std::optional<std::string> config_file;

  auto* serve = cli.add_subcommand(
      "serve",
      "Run the shop: HTTP API, every service and the workers (target 'all'), or one\n"
      "service with what it needs (--target).");
  serve
      ->add_option_function<std::string>(
          "--listen", [&flags](const std::string& v) { flags["listen"] = v; },
          "Address to listen on (default 127.0.0.1:8080; EMPORIUM_LISTEN)")
      ->type_name("HOST:PORT");
  serve
      ->add_option_function<std::string>(
          "--target", [&flags](const std::string& v) { flags["target"] = v; },
          emporium::app::targetHelp())
      ->type_name("TARGET");
  serve
      ->add_option_function<std::string>(
          "--ops-listen", [&flags](const std::string& v) { flags["ops_listen"] = v; },
          "Serve /healthz, /readyz and /metrics on this address instead of the shop's "
          "(EMPORIUM_OPS_LISTEN)")
      ->type_name("HOST:PORT");
  serve
      ->add_option_function<std::string>(
          "--port-file", [&flags](const std::string& v) { flags["port_file"] = v; },
          "Once listening, write 'NAME PORT' lines here (shop, and the other listeners), e.g. "
          "for --listen 127.0.0.1:0 (EMPORIUM_PORT_FILE)")
      ->type_name("FILE");
  addDataFlags(*serve, flags, config_file);

  auto* migrate = cli.add_subcommand(
      "migrate", "Apply pending database migrations of every service, then exit.");
  addDataFlags(*migrate, flags, config_file);

  auto* user = cli.add_subcommand("user", "Manage user accounts.");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create a user (an admin with --admin).");
  emporium::app::UserCreateArgs create_args;
  user_create->add_option("--email", create_args.email, "Email address (EMPORIUM_EMAIL)")
      ->required()
      ->envname("EMPORIUM_EMAIL");
  user_create
      ->add_option("--password", create_args.password,
                   "Password, at least 8 characters (EMPORIUM_PASSWORD)")
      ->required()
      ->envname("EMPORIUM_PASSWORD");
  user_create->add_option("--name", create_args.name,
                          "Display name (default: the email's local part)");
  user_create->add_flag("--admin", create_args.admin, "Give the user the admin role");
  addDataFlags(*user_create, flags, config_file);

  auto* seed = cli.add_subcommand(
      "seed",
      "Load a generated demo catalog (categories, products, variants, reviews); the same\n"
      "--products and --seed give the same catalog. Appends to a catalog that has products.");
  emporium::app::SeedArgs seed_args;
  seed->add_option("--products", seed_args.products, "How many products to add (1-10000000)")
      ->required()
      ->type_name("N");
  seed->add_option("--seed", seed_args.seed, "Random seed (default 1)")->type_name("S");
  seed->add_flag("--if-empty", seed_args.if_empty,
                 "Do nothing when the catalog already has products");
  addDataFlags(*seed, flags, config_file);

  auto* keys = cli.add_subcommand("keys", "Manage the keys that sign access tokens.");
  keys->require_subcommand(1);
  auto* keys_rotate = keys->add_subcommand(
      "rotate",
      "Sign new tokens with a fresh key; tokens already issued stay valid until they expire.");
  addDataFlags(*keys_rotate, flags, config_file);

  auto* dlq = cli.add_subcommand("dlq", "See and resend events that consumers could not handle.");
  dlq->require_subcommand(1);
  emporium::app::DlqArgs dlq_args;
  auto* dlq_list = dlq->add_subcommand("list", "List dead-lettered events.");
  dlq_list->add_option("--consumer", dlq_args.consumer, "Only this consumer's queue (RabbitMQ)");
  dlq_list->add_flag("--json", dlq_args.json, "One JSON object a line");
  addDataFlags(*dlq_list, flags, config_file);
  auto* dlq_replay =
      dlq->add_subcommand("replay", "Send dead-lettered events again, with attempts reset.");
  dlq_replay->add_option("--consumer", dlq_args.consumer, "Only this consumer's queue (RabbitMQ)");
  dlq_replay->add_option("--id", dlq_args.event_ids, "The events to resend (repeatable)")
      ->type_name("EVENT");
  dlq_replay->add_flag("--all", dlq_args.all, "Resend every dead-lettered event");
  addDataFlags(*dlq_replay, flags, config_file);

  auto* events_cmd =
      cli.add_subcommand("events", "The event log: activity and the services' domain events.");
  events_cmd->require_subcommand(1);
  emporium::app::EventsReplayArgs replay_args;
  auto* events_replay = events_cmd->add_subcommand(
      "replay",
      "Write the events since a time to stdout, one JSON object a line, oldest first: activity\n"
      "events and the domain events still in the services' outboxes. With --to, feed that\n"
      "consumer's domain events since the time to it again instead (its record of having\n"
      "handled them is deleted first): replaying to notifications SENDS THE MAILS AGAIN.\n"
      "Published domain events are purged from the outboxes 7 days after publication\n"
      "(in process or by the RabbitMQ relay); older ones are gone and cannot be replayed.");
  events_replay->add_option("--from", replay_args.from, "UTC time (2026-11-26T10:00:00Z) or date")
      ->required()
      ->type_name("TIME");
  events_replay->add_option("--type", replay_args.type, "Only types matching (activity.*, order.#)")
      ->type_name("PATTERN");
  events_replay
      ->add_option("--to", replay_args.to,
                   "Feed the events again to this consumer: notifications (mails them again), "
                   "catalog.ratings, catalog.purchases or catalog.stock")
      ->type_name("CONSUMER");
  addDataFlags(*events_replay, flags, config_file);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  Config config;
  try {
    emporium::config::LoadOptions load_options{emporium::app::targetNames(), {}};
    for (const auto& future : emporium::app::kFutureTargets) {
      load_options.future_targets.emplace_back(future.name, future.why);
    }
    config =
        emporium::config::load({flags, emporium::config::processEnv, config_file}, load_options);
  } catch (const emporium::config::ConfigError& e) {
    std::fprintf(stderr, "emporium: error: %s\n", e.what());
    return 2;
  }

  try {
    if (serve->parsed()) return emporium::app::runServe(config);
    if (migrate->parsed()) return emporium::app::runMigrate(config);
    if (user_create->parsed()) return emporium::app::runUserCreate(config, create_args);
    if (seed->parsed()) return emporium::app::runSeed(config, seed_args);
    if (keys_rotate->parsed()) return emporium::app::runKeysRotate(config);
    if (dlq_list->parsed()) return emporium::app::runDlqList(config, dlq_args);
    if (dlq_replay->parsed()) return emporium::app::runDlqReplay(config, dlq_args);
    if (events_replay->parsed()) return emporium::app::runEventsReplay(config, replay_args);
  } catch (const emporium::app::UsageError& e) {
    std::fprintf(stderr, "emporium: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emporium: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
