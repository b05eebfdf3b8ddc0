#include "app/commands.hpp"

#include <cstdio>
#include <stdexcept>

#include "app/services.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/domain/password.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/storage/user_store.hpp"

namespace emporium::app {

int runMigrate(const config::Config& config) {
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  for (const auto& [name, db] : databases) {
    std::printf("%s: up to date (%s)\n", name.c_str(), db->describe().c_str());
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
  users::UserStore store(*databases.at("users"));
  const std::string name =
      args.name.empty() ? args.email.substr(0, args.email.find('@')) : args.name;
  const auto user = store.create({args.email, name, users::hashPassword(args.password),
                                  args.admin ? users::Role::kAdmin : users::Role::kCustomer});
  if (!user) throw std::runtime_error("a user with email " + args.email + " already exists");
  std::printf("created %s %s (%s)\n", std::string(users::roleName(user->role)).c_str(),
              user->email.c_str(), user->id.c_str());
  return 0;
}

int runKeysRotate(const config::Config& config) {
  log::Logger logger(config.log_level);
  const auto databases = openDatabases(config, logger);
  users::KeyStore store(*databases.at("users"));
  users::KeyRing ring(store);
  const auto previous = ring.activeKid();
  ring.rotate();
  std::printf("signing key rotated: %s -> %s (other processes pick it up within 30 s)\n",
              previous.c_str(), ring.activeKid().c_str());
  return 0;
}

}  // namespace emporium::app
