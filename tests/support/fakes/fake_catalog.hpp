#pragma once
// catalog::Client for suites that test another service: a fixed set of SKUs
// the test puts in. Thread-safe, as the real one is.

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "services/catalog/client.hpp"

namespace emporium::test {

class FakeCatalog final : public catalog::Client {
 public:
  std::vector<catalog::SkuInfo> lookup(std::span<const std::string> skus) override {
    const std::lock_guard lock(mutex_);
    std::vector<catalog::SkuInfo> out;
    for (const auto& sku : skus) {
      if (const auto it = skus_.find(sku); it != skus_.end()) out.push_back(it->second);
    }
    return out;
  }

  void put(catalog::SkuInfo info) {
    const std::lock_guard lock(mutex_);
    skus_[info.sku] = std::move(info);
  }
  /// A SKU of product 7, titled "Product <sku>", priced in USD minor units.
  void add(const std::string& sku, std::int64_t price, bool purchasable = true) {
    put(catalog::SkuInfo{sku, 7, "Product " + sku, price, "USD", purchasable});
  }
  void remove(const std::string& sku) {
    const std::lock_guard lock(mutex_);
    skus_.erase(sku);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, catalog::SkuInfo> skus_;
};

}  // namespace emporium::test
