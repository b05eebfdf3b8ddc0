#include "core/http/dispatch.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <optional>
#include <string_view>

namespace emporium::http {
namespace {

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

Route routeWith(Handler h) { return Route{Method::kPost, "/things", std::move(h), {}, 0}; }

TEST(Dispatch, ApiErrorBecomesProblemJsonNamingTheField) {
  auto route = routeWith([](Request&) -> Response {
    throw ApiError::validation("email", "must be a valid email address");
  });
  Request req;
  req.path = "/things";
  req.request_id = "req-1";
  const auto res = invokeRoute(route, req, {});
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.content_type, kProblemJson);
  const auto d = parse(res.body);
  EXPECT_STREQ(d["type"].GetString(), "https://emporium.dev/problems/validation-error");
  EXPECT_EQ(d["status"].GetInt(), 422);
  EXPECT_STREQ(d["instance"].GetString(), "/things");
  EXPECT_STREQ(d["request_id"].GetString(), "req-1");
  ASSERT_TRUE(d["errors"].IsArray());
  EXPECT_STREQ(d["errors"][0]["field"].GetString(), "email");
  EXPECT_NE(std::string(d["detail"].GetString()).find("email"), std::string::npos);
}

// Issue 14: the detail ran the field name into the message.
TEST(Dispatch, ValidationDetailSeparatesEachFieldFromItsMessage) {
  const auto e = ApiError::validation(
      {{"category", "no category has the slug 'toys'"}, {"price_min", "must be a whole number"}});
  EXPECT_EQ(e.detail(),
            "invalid input: category: no category has the slug 'toys'; price_min: must be a "
            "whole number");
}

TEST(Dispatch, UnknownExceptionIsA500WithoutInternals) {
  auto route = routeWith([](Request&) -> Response { throw std::runtime_error("secret sql text"); });
  Request req;
  const auto res = invokeRoute(route, req, {});
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("secret"), std::string::npos);
  EXPECT_EQ(parse(res.body)["title"].GetString(), std::string("Internal Server Error"));
}

TEST(Dispatch, TranslatorMapsLowerLayerErrors) {
  auto route = routeWith([](Request&) -> Response { throw std::out_of_range("db down"); });
  Request req;
  DispatchContext ctx;
  ctx.translate = [](const std::exception&) -> std::optional<ApiError> {
    return ApiError(503, "service-unavailable", "Service Unavailable", "retry");
  };
  const auto res = invokeRoute(route, req, ctx);
  EXPECT_EQ(res.status, 503);
}

TEST(Dispatch, MethodNotAllowedCarriesAllowHeader) {
  RouteMatch m;
  m.allow = "GET, HEAD";
  Request req;
  req.method = Method::kPost;
  req.path = "/healthz";
  const auto res = unmatchedResponse(m, req);
  EXPECT_EQ(res.status, 405);
  ASSERT_EQ(res.headers.size(), 1U);
  EXPECT_EQ(res.headers[0].first, "Allow");
  EXPECT_EQ(res.headers[0].second, "GET, HEAD");
}

TEST(Dispatch, InvalidUtf8InPathStillGivesValidJson) {
  RouteMatch m;
  Request req;
  req.path = "/\xff\xfe";
  const auto res = unmatchedResponse(m, req);
  EXPECT_EQ(res.status, 404);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(res.body.c_str());
  EXPECT_FALSE(d.HasParseError());
}

// Accepts exactly two tokens; stands in for the users service's JWT verifier.
class TwoTokens final : public Authenticator {
 public:
  std::optional<Principal> verify(std::string_view token) const override {
    if (token == "customer-token") return Principal{"usr_1", "customer", "t1"};
    if (token == "admin-token") return Principal{"usr_2", "admin", "t2"};
    return std::nullopt;
  }
};

int statusFor(Access access, const std::string& authorization) {
  const TwoTokens auth;
  DispatchContext ctx;
  ctx.authenticator = &auth;
  Route route{Method::kGet,
              "/x",
              [](Request& r) { return Response::json(200, r.user().user_id); },
              {Execution::kBlocking, access, true},
              0};
  if (access == Access::kPublic) route.handler = [](Request&) { return Response::json(200, "{}"); };
  Request req;
  if (!authorization.empty()) req.headers.push_back({"Authorization", authorization});
  return invokeRoute(route, req, ctx).status;
}

TEST(Dispatch, AccessLevelsAreEnforcedBeforeTheHandler) {
  EXPECT_EQ(statusFor(Access::kPublic, ""), 200);
  EXPECT_EQ(statusFor(Access::kUser, ""), 401);
  EXPECT_EQ(statusFor(Access::kUser, "Bearer customer-token"), 200);
  EXPECT_EQ(statusFor(Access::kUser, "bearer customer-token"), 200);
  EXPECT_EQ(statusFor(Access::kUser, "Bearer forged"), 401);
  EXPECT_EQ(statusFor(Access::kUser, "Basic dXNlcjpwYXNz"), 401);
  EXPECT_EQ(statusFor(Access::kAdmin, "Bearer customer-token"), 403);
  EXPECT_EQ(statusFor(Access::kAdmin, "Bearer admin-token"), 200);
  EXPECT_EQ(statusFor(Access::kAdmin, ""), 401);
  // Where no sign-in is needed a stale token is ignored (so /auth/refresh works).
  EXPECT_EQ(statusFor(Access::kPublic, "Bearer forged"), 200);
}

TEST(Dispatch, TooManyRequestsRoundsRetryAfterUpToWholeSeconds) {
  const auto header = [](std::chrono::milliseconds wait) {
    return ApiError::tooManyRequests(wait, "slow down").headers().at(0).second;
  };
  EXPECT_EQ(header(std::chrono::milliseconds(1)), "1");
  EXPECT_EQ(header(std::chrono::milliseconds(5001)), "6");
  EXPECT_EQ(header(std::chrono::milliseconds::max()), "86400");
  EXPECT_EQ(ApiError::tooManyRequests(std::chrono::milliseconds(0), "x").status(), 429);
}

TEST(Dispatch, UnauthorizedCarriesWwwAuthenticate) {
  Route route{Method::kGet,
              "/x",
              [](Request&) { return Response{}; },
              {Execution::kBlocking, Access::kUser, true},
              0};
  Request req;
  const auto res = invokeRoute(route, req, {});
  ASSERT_EQ(res.status, 401);
  ASSERT_FALSE(res.headers.empty());
  EXPECT_EQ(res.headers[0].first, "WWW-Authenticate");
}

class DenyAll final : public RequestLimiter {
 public:
  void check(const Request&, const Route&) const override {
    ApiError e(429, "rate-limited", "Too Many Requests", "slow down");
    e.headers().emplace_back("Retry-After", "3");
    throw e;
  }
};

TEST(Dispatch, LimiterRunsOnlyForRateLimitedRoutes) {
  const DenyAll deny;
  DispatchContext ctx;
  ctx.limiter = &deny;
  Route limited{Method::kGet, "/x", [](Request&) { return Response{}; }, {}, 0};
  Request req;
  EXPECT_EQ(invokeRoute(limited, req, ctx).status, 429);
  Route ops{Method::kGet,
            "/healthz",
            [](Request&) { return Response{}; },
            {Execution::kBlocking, Access::kPublic, false},
            1};
  EXPECT_EQ(invokeRoute(ops, req, ctx).status, 200);
}

}  // namespace
}  // namespace emporium::http

namespace emporium::http {
namespace {

TEST(FastPath, AnswersWhenItCanAndDeclinesOtherwise) {
  Route route = routeWith([](Request&) { return Response::json(200, "{\"from\":\"handler\"}"); });
  Request req;
  EXPECT_FALSE(tryFastPath(route, req)) << "a route without a fast path declines";
  route.options.fast_path = [](Request& r) -> std::optional<Response> {
    if (r.query == "hit") return Response::json(200, "{\"from\":\"memory\"}");
    return std::nullopt;
  };
  req.query = "hit";
  const auto hit = tryFastPath(route, req);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, "{\"from\":\"memory\"}");
  req.query = "miss";
  EXPECT_FALSE(tryFastPath(route, req));
}

// Counts the requests it sees; refuses once it has seen `allow` of them.
class CountingLimiter final : public RequestLimiter {
 public:
  CountingLimiter(int allow, bool may_block) : allow_(allow), may_block_(may_block) {}
  void check(const Request&, const Route&) const override {
    if (++seen_ > allow_) throw ApiError::tooManyRequests(std::chrono::seconds(1), "slow down");
  }
  bool mayBlock() const override { return may_block_; }
  int seen() const { return seen_; }

 private:
  int allow_;
  bool may_block_;
  mutable int seen_ = 0;
};

// Issue 14: cached catalog answers skipped the rate limiter.
TEST(FastPath, CachedAnswersCountAgainstTheLimitOnce) {
  Route route = routeWith([](Request&) { return Response::json(200, "{\"from\":\"handler\"}"); });
  route.options.fast_path = [](Request& r) -> std::optional<Response> {
    if (r.query == "hit") return Response::json(200, "{\"from\":\"memory\"}");
    return std::nullopt;
  };
  const CountingLimiter limiter(2, /*may_block=*/false);
  DispatchContext ctx;
  ctx.limiter = &limiter;
  Request hit;
  hit.query = "hit";
  ASSERT_TRUE(tryFastPath(route, hit, ctx));
  EXPECT_EQ(limiter.seen(), 1);
  // A miss is counted on the fast path and not again by the handler.
  Request miss;
  miss.query = "miss";
  EXPECT_FALSE(tryFastPath(route, miss, ctx));
  EXPECT_EQ(invokeRoute(route, miss, ctx).status, 200);
  EXPECT_EQ(limiter.seen(), 2);
  // Over the limit, even a cache hit is refused.
  Request third;
  third.query = "hit";
  const auto refused = tryFastPath(route, third, ctx);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
}

TEST(FastPath, ALimiterThatMayBlockSendsTheRequestToThePool) {
  Route route = routeWith([](Request&) { return Response::json(200, "{}"); });
  route.options.fast_path = [](Request&) -> std::optional<Response> {
    return Response::json(200, "{}");
  };
  const CountingLimiter limiter(0, /*may_block=*/true);
  DispatchContext ctx;
  ctx.limiter = &limiter;
  Request req;
  EXPECT_FALSE(tryFastPath(route, req, ctx)) << "never waits on Redis on an event loop";
  EXPECT_EQ(limiter.seen(), 0);
  EXPECT_EQ(invokeRoute(route, req, ctx).status, 429);
}

TEST(FastPath, AnExceptionOnlyDeclines) {
  Route route = routeWith([](Request&) { return Response::json(200, "{}"); });
  route.options.fast_path = [](Request&) -> std::optional<Response> {
    throw ApiError::validation("limit", "must be an integer from 1 to 100");
  };
  Request req;
  EXPECT_FALSE(tryFastPath(route, req));
}

TEST(FastPath, RouterRefusesItOnRoutesThatNeedSignIn) {
  Router router;
  RouteOptions options;
  options.access = Access::kUser;
  options.fast_path = [](Request&) -> std::optional<Response> { return std::nullopt; };
  EXPECT_THROW(router.add(
                   Method::kGet, "/mine", [](Request&) { return Response::noContent(); }, options),
               std::invalid_argument);
  options.access = Access::kPublic;
  EXPECT_NO_THROW(router.add(
      Method::kGet, "/public", [](Request&) { return Response::noContent(); }, options));
}

// Issue 15 (G2): the server side of the deadline budget.
TEST(Request, BudgetHeaderIsCappedAndParsed) {
  using std::chrono::milliseconds;
  const auto arrived = Request::Clock::now();
  const milliseconds timeout{10000};
  struct Seen {
    Request::Clock::duration after_arrival;
    bool callers;
  };
  const auto seen = [&](std::optional<std::string_view> value, bool trusted) {
    Request req;
    if (value) req.headers.push_back({"x-emporium-budget-ms", *value});
    req.setDeadline(arrived, timeout, trusted);
    return Seen{req.deadline() - arrived, req.deadlineIsTheCallers()};
  };

  EXPECT_EQ(Request{}.deadline(), Request::Clock::time_point::max()) << "no deadline until set";
  EXPECT_EQ(seen(std::nullopt, true).after_arrival, timeout) << "no header: the server's own";
  EXPECT_FALSE(seen(std::nullopt, true).callers);

  EXPECT_EQ(seen("250", true).after_arrival, milliseconds(250));
  EXPECT_TRUE(seen("250", true).callers);
  EXPECT_EQ(seen("0", true).after_arrival, milliseconds(0));
  EXPECT_TRUE(seen("0", true).callers);

  // Capped by the server's own timeout.
  for (const std::string_view big : {"10000", "60000", "99999999999999999999999999"}) {
    EXPECT_EQ(seen(big, true).after_arrival, timeout) << big;
    EXPECT_FALSE(seen(big, true).callers) << big;
  }
  // Malformed values are ignored, never an error.
  for (const std::string_view bad : {"", "-5", "+5", "abc", "12ms", "1.5", " 7", "0x10", "7 "}) {
    EXPECT_EQ(seen(bad, true).after_arrival, timeout) << "'" << bad << "'";
    EXPECT_FALSE(seen(bad, true).callers) << "'" << bad << "'";
  }
  // An untrusted server does not read the header at all.
  EXPECT_EQ(seen("0", false).after_arrival, timeout);
  EXPECT_FALSE(seen("0", false).callers);
}

Route countingRoute(int& runs) {
  Route route = routeWith([&runs](Request&) {
    ++runs;
    return Response::json(200, "{}");
  });
  route.options.fast_path = [&runs](Request&) -> std::optional<Response> {
    ++runs;
    return Response::json(200, "{}");
  };
  return route;
}

Request withBudget(std::string_view value, bool trusted) {
  Request req;
  req.path = "/things";
  req.request_id = "req-b";
  req.headers.push_back({kBudgetHeader, value});
  req.setDeadline(Request::Clock::now(), std::chrono::seconds(10), trusted);
  return req;
}

TEST(Dispatch, SpentBudgetIsAnsweredWithoutRunningTheHandler) {
  int runs = 0;
  const Route route = countingRoute(runs);
  auto spent = withBudget("0", true);
  const auto res = invokeRoute(route, spent, {});
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.content_type, kProblemJson);
  const auto d = parse(res.body);
  EXPECT_STREQ(d["type"].GetString(), "https://emporium.dev/problems/budget-spent");
  EXPECT_NE(std::string(d["detail"].GetString()).find("caller's budget"), std::string::npos);
  EXPECT_STREQ(d["request_id"].GetString(), "req-b");

  const auto fast = tryFastPath(route, spent);
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->status, 503) << "a cached answer is not worth sending either";
  EXPECT_EQ(runs, 0);

  // A budget with time left runs the handler as usual.
  auto left = withBudget("5000", true);
  EXPECT_TRUE(left.deadlineIsTheCallers());
  EXPECT_EQ(invokeRoute(route, left, {}).status, 200);
  EXPECT_EQ(runs, 1);
}

TEST(Dispatch, UntrustedBudgetHeaderIsIgnored) {
  int runs = 0;
  const Route route = countingRoute(runs);
  auto req = withBudget("0", false);
  EXPECT_EQ(invokeRoute(route, req, {}).status, 200);
  EXPECT_EQ(tryFastPath(route, req)->status, 200);
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace emporium::http
