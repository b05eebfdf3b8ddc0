#include "core/http/router.hpp"

#include <gtest/gtest.h>

namespace emporium::http {
namespace {

Handler named(std::string name) {
  return [name](Request&) { return Response::json(200, name); };
}

std::string call(const RouteMatch& m) {
  Request req;
  return m.route->handler(req).body;
}

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router r;
  r.add(Method::kGet, "/api/v1/products", named("list"));
  r.add(Method::kGet, "/api/v1/products/{id}", named("detail"));
  r.add(Method::kGet, "/api/v1/products/{id}/reviews", named("reviews"));

  auto m = r.match(Method::kGet, "/api/v1/products");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(call(m), "list");

  m = r.match(Method::kGet, "/api/v1/products/p%20one/reviews");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(call(m), "reviews");
  ASSERT_EQ(m.params.size(), 1U);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "p one");
}

TEST(Router, LiteralWinsOverParameterAndBacktracks) {
  Router r;
  r.add(Method::kGet, "/me/cart", named("my-cart"));
  r.add(Method::kGet, "/{who}/orders", named("orders"));
  EXPECT_EQ(call(r.match(Method::kGet, "/me/cart")), "my-cart");
  // "me" matches the literal first, which has no "orders" child: backtrack to {who}.
  auto m = r.match(Method::kGet, "/me/orders");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(call(m), "orders");
  EXPECT_EQ(m.params[0].second, "me");
}

TEST(Router, ARestParameterTakesTheRemainingSegmentsAsTheLastResort) {
  Router r;
  r.add(Method::kGet, "/api/v1/me", named("profile"));
  r.add(Method::kGet, "/api/v1/me/{rest...}", named("users"));
  r.add(Method::kGet, "/api/v1/me/cart", named("cart"));
  r.add(Method::kGet, "/api/v1/me/cart/{rest...}", named("cart-rest"));

  EXPECT_EQ(call(r.match(Method::kGet, "/api/v1/me")), "profile");
  EXPECT_EQ(call(r.match(Method::kGet, "/api/v1/me/cart")), "cart");
  auto m = r.match(Method::kGet, "/api/v1/me/addresses/a%201");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(call(m), "users");
  ASSERT_EQ(m.params.size(), 1U);
  EXPECT_EQ(m.params[0].first, "rest");
  EXPECT_EQ(m.params[0].second, "addresses/a 1");
  EXPECT_EQ(call(r.match(Method::kGet, "/api/v1/me/cart/merge")), "cart-rest");
  EXPECT_EQ(r.match(Method::kGet, "/api/v1/other").route, nullptr);
  EXPECT_EQ(r.match(Method::kPost, "/api/v1/me/addresses").allow, "GET, HEAD");

  EXPECT_THROW(r.add(Method::kGet, "/a/{rest...}/b", named("x")), std::invalid_argument);
  r.add(Method::kGet, "/a/{tail...}", named("a"));
  EXPECT_THROW(r.add(Method::kPost, "/a/{other...}", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::kGet, "/a/{tail...}", named("x")), std::invalid_argument);
}

TEST(Router, UnknownPathIsNotFoundAndOtherMethodGivesAllow) {
  Router r;
  r.add(Method::kGet, "/items/{id}", named("get"));
  r.add(Method::kDelete, "/items/{id}", named("delete"));
  auto none = r.match(Method::kGet, "/nothing");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_TRUE(none.allow.empty());

  auto wrong = r.match(Method::kPost, "/items/7");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_EQ(wrong.allow, "GET, HEAD, DELETE");
}

TEST(Router, HeadFallsBackToGetAndTrailingSlashIsIgnored) {
  Router r;
  r.add(Method::kGet, "/healthz", named("h"));
  EXPECT_NE(r.match(Method::kHead, "/healthz").route, nullptr);
  EXPECT_NE(r.match(Method::kGet, "/healthz/").route, nullptr);
  EXPECT_EQ(r.match(Method::kGet, "/healthz//x").route, nullptr);
}

TEST(Router, EmptyParameterAndMalformedEscapeDoNotMatch) {
  Router r;
  r.add(Method::kGet, "/items/{id}/x", named("x"));
  EXPECT_EQ(r.match(Method::kGet, "/items//x").route, nullptr);
  EXPECT_EQ(r.match(Method::kGet, "/items/%zz/x").route, nullptr);
}

TEST(Router, RejectsDuplicatesAndBadPatterns) {
  Router r;
  r.add(Method::kGet, "/a/{id}", named("a"));
  EXPECT_THROW(r.add(Method::kGet, "/a/{id}", named("again")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::kGet, "/a/{other}/b", named("b")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::kGet, "no-slash", named("c")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::kGet, "/a/{", named("d")), std::invalid_argument);
}

TEST(Router, InlineRoutesMustBePublic) {
  Router r;
  EXPECT_THROW(r.add(Method::kGet, "/me", named("me"), {Execution::kInline, Access::kUser, true}),
               std::invalid_argument);
}

TEST(Router, NulOrBadUtf8InAParameterMatchesNothing) {
  Router r;
  r.add(Method::kGet, "/items/{id}", named("x"));
  EXPECT_EQ(r.match(Method::kGet, "/items/%00").route, nullptr);
  EXPECT_EQ(r.match(Method::kGet, "/items/%FF").route, nullptr);
  EXPECT_NE(r.match(Method::kGet, "/items/%C3%AB").route, nullptr);
}

TEST(Router, RouteIndexesAreDense) {
  Router r;
  r.add(Method::kGet, "/a", named("a"));
  r.add(Method::kPost, "/a", named("a"));
  r.add(Method::kGet, "/b", named("b"));
  ASSERT_EQ(r.routes().size(), 3U);
  for (std::size_t i = 0; i < r.routes().size(); ++i) EXPECT_EQ(r.routes()[i]->index, i);
}

}  // namespace
}  // namespace emporium::http
