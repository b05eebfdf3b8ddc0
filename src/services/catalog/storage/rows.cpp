#include "services/catalog/storage/rows.hpp"

#include <rapidjson/document.h>

#include <string>

namespace emporium::catalog::rows {
namespace {

constexpr sql::Query kCategories{
    "catalog.categories",
    "SELECT id, slug, name, parent_id, path, position FROM categories ORDER BY position, id"};

Category readCategory(const sql::Row& row) {
  Category c;
  c.id = row.getInt64(0);
  c.slug = row.getText(1);
  c.name = row.getText(2);
  c.parent_id = row.getOptionalInt64(3);
  c.path = row.getText(4);
  c.position = row.getInt64(5);
  return c;
}

std::optional<std::string> firstImage(const std::string& images_json) {
  rapidjson::Document doc;
  doc.Parse(images_json.data(), images_json.size());
  if (doc.HasParseError() || !doc.IsArray() || doc.Empty() || !doc[0].IsString()) {
    return std::nullopt;
  }
  return std::string(doc[0].GetString(), doc[0].GetStringLength());
}

constexpr sql::Query kProductById{
    "catalog.product_by_id",
    "SELECT p.id, p.slug, p.title, p.brand, c.slug, p.price, p.currency, p.rating, "
    "p.review_count, p.images, p.in_stock, p.description, p.attributes, p.archived, p.created_at, "
    "p.updated_at FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1"};
constexpr sql::Query kVariants{
    "catalog.variants",
    "SELECT sku, attributes, price, stock FROM variants WHERE product_id = $1 "
    "ORDER BY position, sku"};

}  // namespace

std::vector<Category> loadCategories(sql::Session& s) {
  std::vector<Category> out;
  for (const auto& row : s.execute(kCategories)) out.push_back(readCategory(row));
  return out;
}

ProductSummary readSummary(const sql::Row& row) {
  ProductSummary p;
  p.id = row.getInt64(0);
  p.slug = row.getText(1);
  p.title = row.getText(2);
  p.brand = row.getText(3);
  p.category_slug = row.getText(4);
  p.price = row.getInt64(5);
  p.currency = row.getText(6);
  p.rating = row.getDouble(7);
  p.review_count = row.getInt64(8);
  p.image = firstImage(row.getText(9));
  p.in_stock = row.getBool(10);
  return p;
}

std::optional<Product> loadProduct(sql::Session& s, std::int64_t id) {
  const auto rows = s.execute(kProductById, {id});
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  Product p;
  p.summary = readSummary(row);
  p.description = row.getText(11);
  p.attributes_json = row.getText(12);
  p.images_json = row.getText(9);
  p.archived = row.getBool(13);
  p.created_at = row.getText(14);
  p.updated_at = row.getText(15);
  for (const auto& v : s.execute(kVariants, {id})) {
    p.variants.push_back(Variant{v.getText(0), v.getText(1), v.getInt64(2), v.getInt64(3)});
  }
  return p;
}

}  // namespace emporium::catalog::rows
