#pragma once
// Carries stock the catalog knows over to the inventory service, which owns
// it: for catalogs seeded or created before inventory existed, and after
// `emporium seed`. Only SKUs inventory lacks are created; existing rows (and
// their reservations) are never touched.

#include <cstdint>

#include "core/log/logger.hpp"
#include "services/catalog/storage/stock_mirror_store.hpp"
#include "services/inventory/client.hpp"

namespace emporium::catalog {

/// Returns how many SKUs were created in inventory. Cheap when nothing is
/// missing (two counts).
std::int64_t handOverStock(StockMirrorStore& catalog, inventory::Client& inventory,
                           const log::Logger& logger);

}  // namespace emporium::catalog
