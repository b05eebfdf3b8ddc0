#include "services/inventory/inventory_module.hpp"

namespace emporium::inventory {

InventoryModule::InventoryModule(sql::Database& db, const events::Outbox& outbox,
                                 std::int64_t low_stock_threshold, catalog::Client& skus,
                                 const log::Logger& logger)
    : service_(db, outbox, low_stock_threshold), api_{service_, skus}, logger_(logger) {}

void InventoryModule::start() {
  if (!sweeper_) sweeper_.emplace(service_, kSweepEvery, logger_);
}

}  // namespace emporium::inventory
