#include "core/deps/url.hpp"

#include <gtest/gtest.h>

#include "core/http/request.hpp"

namespace emporium {
namespace {

TEST(ServerUrl, ParsesCredentialsHostPortAndPath) {
  const auto u = deps::parseServerUrl("amqp://emp:p%40ss@127.0.0.1:5673/%2f", 5672);
  EXPECT_EQ(u.scheme, "amqp");
  EXPECT_EQ(u.user, "emp");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 5673);
  EXPECT_EQ(u.path, "/");
}

TEST(ServerUrl, DefaultsAndIpv6) {
  EXPECT_EQ(deps::parseServerUrl("redis://localhost", 6379).port, 6379);
  const auto v6 = deps::parseServerUrl("redis://[::1]:7000/0", 6379);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 7000);
}

TEST(ServerUrl, RejectsMalformed) {
  EXPECT_THROW(deps::parseServerUrl("localhost:6379", 1), std::invalid_argument);
  EXPECT_THROW(deps::parseServerUrl("redis://:99999", 1), std::invalid_argument);
  EXPECT_THROW(deps::parseServerUrl("redis://host:abc", 1), std::invalid_argument);
}

TEST(QueryString, DecodesAndRepeats) {
  http::Request req;
  req.query = "q=red+shoes&brand=A%26B&brand=C&empty=&bad=%zz";
  EXPECT_EQ(req.queryParam("q"), "red shoes");
  EXPECT_EQ(req.queryParams("brand"), (std::vector<std::string>{"A&B", "C"}));
  EXPECT_EQ(req.queryParam("empty"), "");
  EXPECT_FALSE(req.queryParam("missing").has_value());
  EXPECT_EQ(req.queryParam("bad"), "%zz");
}

}  // namespace
}  // namespace emporium
