#include "app/remote_rows.hpp"

#include <chrono>
#include <string>
#include <string_view>

#include "services/cart/remote_client.hpp"
#include "services/catalog/remote_client.hpp"
#include "services/inventory/remote_client.hpp"
#include "services/payments/payments_module.hpp"
#include "services/payments/remote_client.hpp"
#include "services/users/domain/live_user_authenticator.hpp"
#include "services/users/jwks_verifier.hpp"
#include "services/users/remote_client.hpp"

namespace emporium::app {
namespace {

// A service reached over HTTP: its remote client, as a module that serves,
// consumes and starts nothing here (its own process does all that).
template <typename RemoteClient>
class RemoteRow final : public module::Module {
 public:
  RemoteRow(std::string_view name, Env& env)
      : name_(name),
        client_(env.http, env.config.service_urls.at(std::string(name)),
                env.config.internal_secret.value()) {}
  std::string_view name() const override { return name_; }
  RemoteClient& client() { return client_; }

 private:
  std::string_view name_;
  RemoteClient client_;
};

// The users service in another process: its contract over HTTP, and access
// tokens checked with the public keys of its JWKS (no signing key and no
// users database here), refusing those of users that no longer exist.
class RemoteUsersRow final : public module::Module {
 public:
  explicit RemoteUsersRow(Env& env)
      : client_(env.http, env.config.service_urls.at("users"), env.config.internal_secret.value()),
        tokens_(env.http, env.config.service_urls.at("users")),
        live_users_(tokens_, [this](const std::string& user_id) {
          return client_.name(user_id).has_value();
        }) {}
  std::string_view name() const override { return "users"; }
  users::Client& client() { return client_; }
  const http::Authenticator& authenticator() const { return live_users_; }

 private:
  users::RemoteClient client_;
  users::JwksVerifier tokens_;
  users::LiveUserAuthenticator live_users_;
};

// A charge may take the card provider's worst case (every retry timing out)
// and still succeed: the call waits that long and a second more.
class RemotePaymentsRow final : public module::Module {
 public:
  explicit RemotePaymentsRow(Env& env)
      : client_(env.http, env.config.service_urls.at("payments"),
                env.config.internal_secret.value(), chargeBudget(env.config)) {}
  std::string_view name() const override { return "payments"; }
  payments::RemoteClient& client() { return client_; }

 private:
  static std::chrono::milliseconds chargeBudget(const config::Config& config) {
    const auto provider = payments::providerOptions(config);
    return payments::worstCase(provider.retry, provider.total_timeout) +
           std::chrono::milliseconds{1000};
  }
  payments::RemoteClient client_;
};

}  // namespace

std::unique_ptr<module::Module> connectUsers(Env& env, Peers& peers) {
  auto row = std::make_unique<RemoteUsersRow>(env);
  peers.users = &row->client();
  peers.authenticator = &row->authenticator();
  return row;
}

std::unique_ptr<module::Module> connectInventory(Env& env, Peers& peers) {
  auto row = std::make_unique<RemoteRow<inventory::RemoteClient>>("inventory", env);
  peers.inventory = &row->client();
  return row;
}

std::unique_ptr<module::Module> connectCatalog(Env& env, Peers& peers) {
  auto row = std::make_unique<RemoteRow<catalog::RemoteClient>>("catalog", env);
  peers.catalog = &row->client();
  env.links.catalog = &row->client();  // an inventory built here asks it which SKUs are sold
  return row;
}

std::unique_ptr<module::Module> connectPayments(Env& env, Peers& peers) {
  auto row = std::make_unique<RemotePaymentsRow>(env);
  peers.payments = &row->client();
  return row;
}

std::unique_ptr<module::Module> connectCart(Env& env, Peers& peers) {
  auto row = std::make_unique<RemoteRow<cart::RemoteClient>>("cart", env);
  peers.carts = &row->client();
  return row;
}

}  // namespace emporium::app
