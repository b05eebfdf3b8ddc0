#pragma once
// Reviews, the purchases that make a review "verified", and each product's
// rating, recomputed once per review.created event.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/sql/database.hpp"
#include "services/catalog/domain/model.hpp"
#include "services/catalog/storage/outcomes.hpp"

namespace emporium::catalog {

class ReviewStore {
 public:
  /// Reviews add "review.created" to `outbox` in their transactions.
  ReviewStore(sql::Database& db, const events::Outbox& outbox) : db_(db), outbox_(outbox) {}

  /// Newest first, keyset by review id.
  std::vector<Review> reviews(std::int64_t product_id, std::optional<std::int64_t> before_id,
                              std::size_t limit);
  /// kConflict: this user already reviewed the product; kNotFound: no such
  /// product; kForbidden: require_purchase and the user has not bought it.
  /// created.verified_purchase says whether they had.
  WriteOutcome addReview(const Review& review, Review& created, bool require_purchase = false);
  /// Records that user_id bought these products in order_id, once per
  /// order.confirmed event: false when `consumer` already processed
  /// `event_id` (a redelivery), which then changes nothing.
  bool recordPurchasesOnce(const std::string& user_id, const std::string& order_id,
                           std::span<const std::int64_t> product_ids, std::string_view consumer,
                           std::string_view event_id);
  /// Recomputes a product's rating and review_count from its reviews, once
  /// per review.created event: false when `consumer` already processed
  /// `event_id` (a redelivery), which then changes nothing.
  bool refreshRatingOnce(std::int64_t product_id, std::string_view consumer,
                         std::string_view event_id);

 private:
  sql::Database& db_;
  const events::Outbox& outbox_;
};

}  // namespace emporium::catalog
