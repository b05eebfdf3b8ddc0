#include "core/json/body.hpp"

#include <gtest/gtest.h>

#include "core/http/api_error.hpp"

namespace emporium::json {
namespace {

int statusOf(const std::function<void()>& f, std::string* field = nullptr) {
  try {
    f();
  } catch (const http::ApiError& e) {
    if (field != nullptr && !e.errors().empty()) *field = e.errors()[0].field;
    return e.status();
  }
  return 0;
}

TEST(JsonBody, MalformedIsBadRequest) {
  EXPECT_EQ(statusOf([] { Body::parseText("{\"a\": "); }), 400);
  EXPECT_EQ(statusOf([] { Body::parseText("[1,2]"); }), 400);
  EXPECT_EQ(statusOf([] { Body::parseText("{} trailing"); }), 400);
  EXPECT_EQ(statusOf([] { Body::parseText(""); }), 400);
  EXPECT_EQ(statusOf([] { Body::parseText("{\"a\":\"\xff\"}"); }), 400);
}

TEST(JsonBody, DeepNestingIsRefusedNotRecursedInto) {
  // A million '[' would overflow the stack of a recursive parser.
  EXPECT_EQ(statusOf([] { Body::parseText(std::string(1'000'000, '[')); }), 400);
  EXPECT_EQ(statusOf([] {
              Body::parseText("{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}");
            }),
            400);
  // Brackets inside strings do not count.
  EXPECT_EQ(statusOf([] { Body::parseText("{\"a\":\"" + std::string(100, '[') + "\"}"); }), 0);
  EXPECT_EQ(statusOf([] { Body::parseText(R"({"a":{"b":[1,[2,[3]]]}})"); }), 0);
}

TEST(JsonBody, NulInsideAStringNamesTheField) {
  std::string field;
  const auto body = Body::parseText(R"({"email":"a\u0000@x.io"})");
  EXPECT_EQ(statusOf([&] { (void)body.requireString("email"); }, &field), 422);
  EXPECT_EQ(field, "email");
}

TEST(JsonBody, TypedAccessorsNameTheField) {
  const auto body = Body::parseText(R"({"email": 5, "n": "x", "addr": {"city": 1}, "ok": true})");
  std::string field;
  EXPECT_EQ(statusOf([&] { (void)body.requireString("email"); }, &field), 422);
  EXPECT_EQ(field, "email");
  EXPECT_EQ(statusOf([&] { (void)body.requireInt("n"); }, &field), 422);
  EXPECT_EQ(field, "n");
  EXPECT_EQ(statusOf([&] { (void)body.requireString("missing"); }, &field), 422);
  EXPECT_EQ(field, "missing");
  EXPECT_EQ(statusOf([&] { (void)body.requireObject("addr").requireString("city"); }, &field), 422);
  EXPECT_EQ(field, "addr.city");
  EXPECT_TRUE(body.requireBool("ok"));
}

TEST(JsonBody, NullCountsAsAbsentAndUnknownFieldsAreIgnored) {
  const auto body = Body::parseText(R"({"name": null, "extra": [1, 2], "qty": 3})");
  EXPECT_FALSE(body.optionalString("name").has_value());
  EXPECT_EQ(body.requireInt("qty"), 3);
}

TEST(JsonBody, RejectsNonJsonContentType) {
  http::Request req;
  http::Header h{"Content-Type", "text/plain"};
  req.headers.push_back(h);
  req.body = "{}";
  EXPECT_EQ(statusOf([&] { Body::parse(req); }), 415);
  req.headers[0].value = "application/json; charset=utf-8";
  EXPECT_EQ(statusOf([&] { Body::parse(req); }), 0);
}

}  // namespace
}  // namespace emporium::json
