#pragma once
// The module table's rows another process serves (Row::connect): each fills
// its Peers slot with the service's remote client over HTTP (its internal
// routes) and builds, opens and starts nothing of the service here.

#include <memory>

#include "app/module_table.hpp"
#include "core/module/module.hpp"

namespace emporium::app {

std::unique_ptr<module::Module> connectUsers(Env& env, Peers& peers);
std::unique_ptr<module::Module> connectInventory(Env& env, Peers& peers);
std::unique_ptr<module::Module> connectCatalog(Env& env, Peers& peers);
std::unique_ptr<module::Module> connectCart(Env& env, Peers& peers);
std::unique_ptr<module::Module> connectPayments(Env& env, Peers& peers);

}  // namespace emporium::app
