#pragma once
// The sandbox card processor assembled over its own database ("sandbox"):
// store, fault-injection control and routes. It is served on a listener of
// its own (app/sandbox_listener.hpp), never on the shop's router.

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "core/http/router.hpp"
#include "core/sql/database.hpp"
#include "services/payments/sandbox/control.hpp"
#include "services/payments/sandbox/routes.hpp"
#include "services/payments/sandbox/sandbox_store.hpp"
#include "services/payments/sandbox/schema.hpp"

namespace emporium::payments::sandbox {

class SandboxModule {
 public:
  /// db: the "sandbox" database, migrated with sandbox::migrations().
  /// secret: what every route but tokenization requires as a Bearer token.
  SandboxModule(sql::Database& db, std::string secret)
      : store_(db), api_{store_, control_, std::move(secret)} {
    if (api_.secret.empty()) throw std::invalid_argument("the sandbox needs a secret");
  }
  SandboxModule(const SandboxModule&) = delete;
  SandboxModule& operator=(const SandboxModule&) = delete;

  /// Registers the routes under prefix; this module must outlive the router.
  void addRoutes(http::Router& router, std::string_view prefix = "/sandbox") {
    addSandboxRoutes(router, api_, prefix);
  }
  SandboxStore& store() { return store_; }
  /// For tests: the clock and token lifetime; set before serving.
  SandboxApi& api() { return api_; }
  Control& control() { return control_; }

 private:
  SandboxStore store_;
  Control control_;
  SandboxApi api_;
};

}  // namespace emporium::payments::sandbox
