#pragma once
// The emporium subcommands. Each returns the process exit code.

#include <cstdint>
#include <string>

#include "core/config/config.hpp"

namespace emporium::app {

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

}  // namespace emporium::app
