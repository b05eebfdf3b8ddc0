#include "services/cart/http/wire.hpp"

#include <string>

namespace emporium::cart::wire {

void writeLines(json::Writer& out, std::span<const CartLine> lines) {
  out.startArray();
  for (const auto& line : lines) {
    out.startObject().member("sku", line.sku).member("quantity", line.quantity).endObject();
  }
  out.endArray();
}

std::vector<CartLine> readLines(const rapidjson::Value& array, std::string_view field) {
  std::vector<CartLine> lines;
  const auto size = json::wire::requireArray(array, field).Size();
  for (rapidjson::SizeType i = 0; i < size; ++i) {
    const std::string where = json::wire::at(field, i);
    lines.push_back(CartLine{json::wire::stringOf(array[i], "sku", where),
                             json::wire::intOf(array[i], "quantity", where)});
  }
  return lines;
}

}  // namespace emporium::cart::wire
