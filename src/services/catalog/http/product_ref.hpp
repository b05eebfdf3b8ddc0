#pragma once
// How a catalog path names a product (/products/{id}: digits are an id,
// anything else a slug), its cache key, and finding it.

#include <cstdint>
#include <optional>
#include <string>

#include "core/http/api_error.hpp"
#include "core/http/request.hpp"
#include "services/catalog/domain/model.hpp"
#include "services/catalog/storage/product_store.hpp"

namespace emporium::catalog {

/// The product a path names: digits are an id, anything else a slug.
struct ProductRef {
  std::optional<std::int64_t> id;
  std::string slug;
};

ProductRef productRef(const http::Request& req);
std::string productKey(const ProductRef& ref);
http::ApiError productNotFound(const http::Request& req);
/// A product shoppers may see (not archived); nullopt for a malformed slug too.
std::optional<Product> findProduct(ProductStore& products, const ProductRef& ref);
/// An admin path's product id: 404 for a slug or a malformed id.
std::int64_t adminProductId(const http::Request& req);

}  // namespace emporium::catalog
