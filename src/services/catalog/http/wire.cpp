#include "services/catalog/http/wire.hpp"

#include <string>

namespace emporium::catalog::wire {

void writeSkuInfos(json::Writer& out, std::span<const SkuInfo> infos) {
  out.startArray();
  for (const auto& info : infos) {
    out.startObject()
        .member("sku", info.sku)
        .member("product_id", info.product_id)
        .member("title", info.title)
        .member("unit_price", info.unit_price)
        .member("currency", info.currency)
        .member("purchasable", info.purchasable)
        .endObject();
  }
  out.endArray();
}

std::vector<SkuInfo> readSkuInfos(const rapidjson::Value& array, std::string_view field) {
  using json::wire::at;
  std::vector<SkuInfo> infos;
  const auto size = json::wire::requireArray(array, field).Size();
  for (rapidjson::SizeType i = 0; i < size; ++i) {
    const std::string where = at(field, i);
    const auto& item = array[i];
    infos.push_back(SkuInfo{
        json::wire::stringOf(item, "sku", where), json::wire::intOf(item, "product_id", where),
        json::wire::stringOf(item, "title", where), json::wire::intOf(item, "unit_price", where),
        json::wire::stringOf(item, "currency", where),
        json::wire::boolOf(item, "purchasable", where)});
  }
  return infos;
}

}  // namespace emporium::catalog::wire
