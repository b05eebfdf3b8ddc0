#pragma once
// The sandbox card processor assembled over its own database ("sandbox"):
// store, fault-injection control and routes. The all-in-one process mounts it
// at /sandbox on its main router; --target=payment-sandbox serves it alone.

#include <string_view>

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
  explicit SandboxModule(sql::Database& db) : store_(db), api_{store_, control_} {}
  SandboxModule(const SandboxModule&) = delete;
  SandboxModule& operator=(const SandboxModule&) = delete;

  /// Registers the routes under prefix; this module must outlive the router.
  void addRoutes(http::Router& router, std::string_view prefix = "/sandbox") {
    addSandboxRoutes(router, api_, prefix);
  }
  SandboxStore& store() { return store_; }
  Control& control() { return control_; }

 private:
  SandboxStore store_;
  Control control_;
  SandboxApi api_;
};

}  // namespace emporium::payments::sandbox
