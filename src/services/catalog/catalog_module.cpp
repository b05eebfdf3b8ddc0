#include "services/catalog/catalog_module.hpp"

#include <rapidjson/document.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/net/peer_error.hpp"
#include "services/catalog/stock_handover.hpp"

namespace emporium::catalog {
namespace {

// A product write's stock, handed to inventory (which owns it). Synchronous
// on purpose: a product created with stock can be bought at once.
std::function<void(const std::string&, std::int64_t)> stockWriter(inventory::Client* inventory,
                                                                  const log::Logger& logger) {
  if (inventory == nullptr) return {};
  return [inventory, &logger](const std::string& sku, std::int64_t on_hand) {
    const auto result = inventory->setOnHand(sku, on_hand);
    if (result.status != inventory::SetOnHandStatus::kDone) {
      logger.warn("stock from a product write not applied to inventory",
                  {{"sku", sku}, {"on_hand", on_hand}});
    }
  };
}

// A stock.changed payload's levels (docs/events.md). A malformed one throws:
// the dispatcher retries it, then parks it as dead for an operator.
std::vector<PublishedLevel> publishedLevels(const std::string& payload_text) {
  rapidjson::Document payload;
  payload.Parse(payload_text.c_str());
  if (payload.HasParseError() || !payload.IsObject() || !payload.HasMember("levels") ||
      !payload["levels"].IsArray()) {
    throw std::invalid_argument("stock.changed without a levels array");
  }
  std::vector<PublishedLevel> levels;
  for (const auto& level : payload["levels"].GetArray()) {
    const bool complete = level.IsObject() && level.HasMember("sku") && level["sku"].IsString() &&
                          level.HasMember("available") && level["available"].IsInt64() &&
                          level.HasMember("version") && level["version"].IsInt64();
    if (!complete) {
      throw std::invalid_argument("stock.changed level without sku, available and version");
    }
    levels.push_back(PublishedLevel{level["sku"].GetString(), level["available"].GetInt64(),
                                    level["version"].GetInt64()});
  }
  return levels;
}

}  // namespace

CatalogModule::CatalogModule(sql::Database& db, const events::Outbox& outbox,
                             cache::TieredCache& cache, events::ActivityLog& activity,
                             const log::Logger& logger, ReviewerName reviewer_name,
                             inventory::Client* inventory)
    : storage_(db, outbox),
      api_{storage_, cache, activity, std::move(reviewer_name), stockWriter(inventory, logger)},
      cache_(cache),
      logger_(logger),
      inventory_(inventory) {}

std::vector<events::Consumer> CatalogModule::consumers() {
  std::vector<events::Consumer> consumers;
  consumers.push_back(ratingsConsumer());
  consumers.push_back(purchasesConsumer());
  consumers.push_back(stockConsumer());
  return consumers;
}

void CatalogModule::start() {
  if (inventory_ == nullptr) return;
  try {
    handOverStock(storage_.stock, *inventory_, logger_);
  } catch (const net::PeerError& e) {
    // Inventory in another process, not answering yet (a cluster starts
    // every process at once). Its stock stays in the catalog's rows until
    // the next start, or `emporium seed`, hands it over; nothing is lost.
    logger_.warn("stock not handed over to inventory: it did not answer", {{"error", e.what()}});
  }
}

events::Consumer CatalogModule::ratingsConsumer() {
  static constexpr std::string_view kName = kRatingsConsumer;
  return {std::string(kName),
          {kRatingsPatterns.begin(), kRatingsPatterns.end()},
          [this](const events::Event& event) {
            rapidjson::Document payload;
            payload.Parse(event.payload.c_str());
            if (payload.HasParseError() || !payload.IsObject() ||
                !payload.HasMember("product_id") || !payload["product_id"].IsInt64()) {
              throw std::invalid_argument("review.created without a numeric product_id");
            }
            const std::int64_t product_id = payload["product_id"].GetInt64();
            if (!storage_.reviews.refreshRatingOnce(product_id, kName, event.id)) return;
            // The rating shows on the product page and orders the rating sort.
            const auto product = storage_.products.productAnyState(product_id);
            invalidateProduct(cache_, product_id, {product ? product->summary.slug : ""});
          }};
}

events::Consumer CatalogModule::purchasesConsumer() {
  static constexpr std::string_view kName = kPurchasesConsumer;
  return {std::string(kName),
          {kPurchasesPatterns.begin(), kPurchasesPatterns.end()},
          [this](const events::Event& event) {
            rapidjson::Document payload;
            payload.Parse(event.payload.c_str());
            if (payload.HasParseError() || !payload.IsObject() || !payload.HasMember("order") ||
                !payload["order"].IsObject()) {
              throw std::invalid_argument("order.confirmed without an order object");
            }
            // Guest orders have no user: nobody to verify.
            if (!payload.HasMember("user_id") || !payload["user_id"].IsString()) return;
            const auto& order = payload["order"];
            std::vector<std::int64_t> products;
            if (order.HasMember("items") && order["items"].IsArray()) {
              for (const auto& item : order["items"].GetArray()) {
                if (!item.IsObject() || !item.HasMember("product_id")) continue;
                const auto& id = item["product_id"];
                if (id.IsInt64()) {
                  products.push_back(id.GetInt64());
                } else if (id.IsString()) {
                  products.push_back(std::stoll(id.GetString()));  // throws on garbage: retried
                }
              }
            }
            const std::string order_id =
                order.HasMember("id") && order["id"].IsString() ? order["id"].GetString() : "";
            storage_.reviews.recordPurchasesOnce(payload["user_id"].GetString(), order_id, products,
                                                 kName, event.id);
          }};
}

events::Consumer CatalogModule::stockConsumer() {
  return {std::string(kStockConsumer),
          {kStockPatterns.begin(), kStockPatterns.end()},
          [this](const events::Event& event) {
            const auto levels = publishedLevels(event.payload);
            for (const auto& flip : storage_.stock.applyLevels(levels)) {
              invalidateProduct(cache_, flip.product_id, {flip.slug});
            }
          }};
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
