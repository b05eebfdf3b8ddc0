#include "services/catalog/http/product_ref.hpp"

#include <charconv>

#include "core/json/utf8.hpp"

namespace emporium::catalog {

ProductRef productRef(const http::Request& req) {
  const std::string_view raw = req.pathParam("id");
  ProductRef ref;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (ec == std::errc{} && end == raw.data() + raw.size() && id > 0) {
    ref.id = id;
  } else {
    ref.slug = std::string(raw);
  }
  return ref;
}

std::string productKey(const ProductRef& ref) {
  return ref.id ? "p:id:" + std::to_string(*ref.id) : "p:slug:" + ref.slug;
}

http::ApiError productNotFound(const http::Request& req) {
  return http::ApiError::notFound("no product " + std::string(req.pathParam("id")));
}

std::optional<Product> findProduct(ProductStore& products, const ProductRef& ref) {
  if (ref.id) return products.product(*ref.id);
  if (ref.slug.empty() || ref.slug.size() > 200 || !json::isValidUtf8(ref.slug))
    return std::nullopt;
  return products.productBySlug(ref.slug);
}

std::int64_t adminProductId(const http::Request& req) {
  const auto ref = productRef(req);
  if (!ref.id) throw productNotFound(req);
  return *ref.id;
}

}  // namespace emporium::catalog
