#include "services/catalog/storage/review_store.hpp"

#include <cmath>

#include "core/json/writer.hpp"
#include "core/util/ids.hpp"

namespace emporium::catalog {
namespace {

constexpr sql::Query kReviewsFirst{
    "catalog.reviews_first",
    "SELECT id, product_id, user_id, user_name, rating, title, body, created_at, "
    "verified_purchase FROM reviews WHERE product_id = $1 ORDER BY id DESC LIMIT $2"};
constexpr sql::Query kReviewsBefore{
    "catalog.reviews_before",
    "SELECT id, product_id, user_id, user_name, rating, title, body, created_at, "
    "verified_purchase FROM reviews WHERE product_id = $1 AND id < $3 ORDER BY id DESC LIMIT $2"};
constexpr sql::Query kHasPurchased{
    "catalog.has_purchased", "SELECT 1 FROM purchases WHERE user_id = $1 AND product_id = $2"};
constexpr sql::Query kRecordPurchase{
    "catalog.record_purchase",
    "INSERT INTO purchases (user_id, product_id, order_id, purchased_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (user_id, product_id) DO NOTHING"};
constexpr sql::Query kProductExists{"catalog.product_exists",
                                    "SELECT 1 FROM products WHERE id = $1 AND archived = FALSE"};
constexpr sql::Query kInsertReview{
    "catalog.insert_review",
    "INSERT INTO reviews (product_id, user_id, user_name, rating, title, body, created_at, "
    "verified_purchase) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"};
constexpr sql::Query kReviewAggregate{
    "catalog.review_aggregate",
    "SELECT COUNT(*), COALESCE(SUM(rating), 0) FROM reviews WHERE product_id = $1"};
constexpr sql::Query kSetRating{"catalog.set_rating",
                                "UPDATE products SET rating = $2, review_count = $3 WHERE id = $1"};

Review readReview(const sql::Row& row) {
  Review r;
  r.id = row.getInt64(0);
  r.product_id = row.getInt64(1);
  r.user_id = row.getText(2);
  r.user_name = row.getText(3);
  r.rating = static_cast<int>(row.getInt64(4));
  r.title = row.getText(5);
  r.body = row.getText(6);
  r.created_at = row.getText(7);
  r.verified_purchase = row.getBool(8);
  return r;
}

}  // namespace

std::vector<Review> ReviewStore::reviews(std::int64_t product_id,
                                         std::optional<std::int64_t> before_id, std::size_t limit) {
  return db_.read([&](sql::Session& s) {
    const auto n = static_cast<std::int64_t>(limit);
    const auto rows = before_id ? s.execute(kReviewsBefore, {product_id, n, *before_id})
                                : s.execute(kReviewsFirst, {product_id, n});
    std::vector<Review> out;
    out.reserve(rows.size());
    for (const auto& row : rows) out.push_back(readReview(row));
    return out;
  });
}

WriteOutcome ReviewStore::addReview(const Review& review, Review& created, bool require_purchase) {
  try {
    const auto outcome = db_.write([&](sql::Session& s) {
      if (s.execute(kProductExists, {review.product_id}).empty()) return WriteOutcome::kNotFound;
      created = review;
      created.verified_purchase =
          !s.execute(kHasPurchased, {review.user_id, review.product_id}).empty();
      if (require_purchase && !created.verified_purchase) return WriteOutcome::kForbidden;
      created.created_at = util::nowRfc3339();
      const auto rows =
          s.execute(kInsertReview, {review.product_id, review.user_id, review.user_name,
                                    static_cast<std::int64_t>(review.rating), review.title,
                                    review.body, created.created_at, created.verified_purchase});
      created.id = rows[0].getInt64(0);
      json::Writer payload;
      payload.startObject()
          .member("review_id", created.id)
          .member("product_id", created.product_id)
          .member("user_id", created.user_id)
          .member("rating", static_cast<std::int64_t>(created.rating))
          .endObject();
      outbox_.add(s, "review.created", payload.str());
      return WriteOutcome::kDone;
    });
    if (outcome == WriteOutcome::kDone) outbox_.committed();
    return outcome;
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

bool ReviewStore::recordPurchasesOnce(const std::string& user_id, const std::string& order_id,
                                      std::span<const std::int64_t> product_ids,
                                      std::string_view consumer, std::string_view event_id) {
  return db_.write([&](sql::Session& s) {
    if (!events::claimEvent(s, consumer, event_id)) return false;
    const std::string now = util::nowRfc3339();
    for (const std::int64_t product_id : product_ids) {
      s.execute(kRecordPurchase, {user_id, product_id, order_id, now});
    }
    return true;
  });
}

bool ReviewStore::refreshRatingOnce(std::int64_t product_id, std::string_view consumer,
                                    std::string_view event_id) {
  return db_.write([&](sql::Session& s) {
    if (!events::claimEvent(s, consumer, event_id)) return false;
    const auto rows = s.execute(kReviewAggregate, {product_id});
    const std::int64_t count = rows[0].getInt64(0);
    const std::int64_t sum = rows[0].getInt64(1);
    const double mean =
        count == 0
            ? 0.0
            : std::round(static_cast<double>(sum) * 100.0 / static_cast<double>(count)) / 100.0;
    s.execute(kSetRating, {product_id, mean, count});
    return true;
  });
}

}  // namespace emporium::catalog
