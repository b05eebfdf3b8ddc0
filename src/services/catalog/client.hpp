#pragma once
// The catalog's contract: what other services may ask of it (today, about
// SKUs: live titles and prices), in plain data with no HTTP or SQL types. In
// the all-in-one process the catalog store answers directly.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace emporium::catalog {

struct SkuInfo {
  std::string sku;
  std::int64_t product_id = 0;
  std::string title;            // the product's title
  std::int64_t unit_price = 0;  // minor units
  std::string currency;
  bool purchasable = false;  // false when the product is archived
};

class Client {
 public:
  virtual ~Client() = default;
  /// The SKUs that exist (archived ones included, marked not purchasable);
  /// unknown SKUs are left out. Order is not significant.
  virtual std::vector<SkuInfo> lookup(std::span<const std::string> skus) = 0;
};

}  // namespace emporium::catalog
