#include "services/catalog/catalog_module.hpp"

namespace emporium::catalog {

CatalogModule::CatalogModule(sql::Database& db, cache::TieredCache& cache,
                             const log::Logger& logger, ReviewerName reviewer_name,
                             StockWritten stock_written)
    : store_(db),
      ratings_(
          [this, &cache](std::int64_t product_id) {
            store_.refreshRating(product_id);
            // The rating shows on the product page and orders the rating sort.
            const auto product = store_.productAnyState(product_id);
            invalidateProduct(cache, product_id, {product ? product->summary.slug : ""});
          },
          [&logger](std::int64_t product_id, const std::exception& e) {
            logger.warn("rating refresh failed", {{"product_id", product_id}, {"error", e.what()}});
          }),
      api_{store_, cache, ratings_, std::move(reviewer_name), std::move(stock_written)},
      cache_(cache),
      logger_(logger) {}

void CatalogModule::mirrorStock(const std::string& sku, std::int64_t available) noexcept {
  try {
    const auto mirror = store_.mirrorStock(sku, available);
    if (mirror && mirror->in_stock_changed) {
      invalidateProduct(cache_, mirror->product_id, {mirror->slug});
    }
  } catch (const std::exception& e) {
    logger_.warn("could not mirror stock into the catalog", {{"sku", sku}, {"error", e.what()}});
  }
}

std::string reviewerDisplayName(std::string_view full_name) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < full_name.size()) {
    while (i < full_name.size() && is_space(full_name[i])) ++i;
    const std::size_t start = i;
    while (i < full_name.size() && !is_space(full_name[i])) ++i;
    if (i > start) words.push_back(full_name.substr(start, i - start));
  }
  if (words.empty()) return "Customer";
  std::string out(words.front());
  if (words.size() > 1) {
    // The last name's first character, whole even when it is multi-byte UTF-8.
    const std::string_view last = words.back();
    std::size_t length = 1;
    while (length < last.size() && (static_cast<unsigned char>(last[length]) & 0xC0) == 0x80) {
      ++length;
    }
    out.append(" ").append(last.substr(0, length)).append(".");
  }
  return out;
}

}  // namespace emporium::catalog
