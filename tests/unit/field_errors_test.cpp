// The shared collector of field problems and the one money writer.

#include "core/http/field_errors.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/json/money.hpp"

namespace emporium {
namespace {

TEST(FieldErrors, CollectsEveryProblemAndAnswers422NamingEach) {
  http::FieldErrors v;
  v.throwIfAny();  // nothing collected: no throw
  v.check("name", std::nullopt);
  v.check("email", std::string("is required"));
  v.fail("country", "must be an ISO 3166-1 alpha-2 code");
  const auto read =
      v.read([]() -> int { throw http::ApiError::validation("age", "must be a number"); });
  EXPECT_EQ(read, 0);
  ASSERT_EQ(v.errors().size(), 3U);
  try {
    v.throwIfAny();
    FAIL() << "no throw";
  } catch (const http::ApiError& e) {
    EXPECT_EQ(e.status(), 422);
    ASSERT_EQ(e.errors().size(), 3U);
    EXPECT_EQ(e.errors()[0].field, "email");
    EXPECT_EQ(e.errors()[2].field, "age");
  }
}

TEST(FieldErrors, BadRequestFormSpellsEachProblemInTheDetail) {
  http::FieldErrors v;
  v.fail("number", "is required");
  v.fail("cvc", "must be 3 or 4 digits");
  try {
    v.throwBadRequestIfAny();
    FAIL() << "no throw";
  } catch (const http::ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.detail(), "invalid input: number: is required; cvc: must be 3 or 4 digits");
    EXPECT_EQ(e.errors().size(), 2U);
  }
  // Other errors pass through read() untouched.
  EXPECT_THROW(v.read([]() -> int { throw http::ApiError::notFound("x"); }), http::ApiError);
}

TEST(Money, IsAmountInMinorUnitsAndCurrency) {
  json::Writer w;
  w.startObject();
  json::writeMoney(w, "total", 1999, "USD");
  w.key("items").startArray();
  json::writeMoney(w, 0, "EUR");
  w.endArray().endObject();
  EXPECT_EQ(
      w.str(),
      R"({"total":{"amount":1999,"currency":"USD"},"items":[{"amount":0,"currency":"EUR"}]})");
}

}  // namespace
}  // namespace emporium
