// Event wire form, topic matching and retry backoff.

#include <gtest/gtest.h>

#include "core/events/consumer.hpp"
#include "core/events/event.hpp"

namespace emporium::events {
namespace {

using namespace std::chrono_literals;

TEST(EventJson, RoundTripsEveryMember) {
  const Event event{"evt_1",  "order.confirmed",
                    2,        "2026-11-26T10:00:00.123456Z",
                    "orders", R"({"user_id":"usr_1","order":{"number":"EM-1"}})"};
  const auto parsed = parseEvent(toJson(event));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, event.id);
  EXPECT_EQ(parsed->type, event.type);
  EXPECT_EQ(parsed->version, 2);
  EXPECT_EQ(parsed->occurred_at, event.occurred_at);
  EXPECT_EQ(parsed->source, "orders");
  EXPECT_EQ(parsed->payload, event.payload);
}

TEST(EventJson, RejectsWhatIsNotAnEvent) {
  EXPECT_FALSE(parseEvent("not json"));
  EXPECT_FALSE(parseEvent("[]"));
  EXPECT_FALSE(parseEvent(R"({"type":"a","version":1,"occurred_at":"t","payload":{}})"));
  EXPECT_FALSE(parseEvent(R"({"id":"e","version":1,"occurred_at":"t","payload":{}})"));
  EXPECT_FALSE(parseEvent(R"({"id":"e","type":"a","version":"1","occurred_at":"t","payload":{}})"));
  EXPECT_FALSE(parseEvent(R"({"id":"e","type":"a","version":1,"occurred_at":"t","payload":"x"})"));
  EXPECT_TRUE(parseEvent(R"({"id":"e","type":"a","version":1,"occurred_at":"t","payload":{}})"));
}

TEST(TopicMatches, FollowsAmqpTopicRules) {
  EXPECT_TRUE(topicMatches("order.confirmed", "order.confirmed"));
  EXPECT_FALSE(topicMatches("order.confirmed", "order.cancelled"));
  EXPECT_TRUE(topicMatches("order.*", "order.shipped"));
  EXPECT_FALSE(topicMatches("order.*", "order"));
  EXPECT_FALSE(topicMatches("order.*", "order.shipped.late"));
  EXPECT_TRUE(topicMatches("order.#", "order"));
  EXPECT_TRUE(topicMatches("order.#", "order.shipped.late"));
  EXPECT_TRUE(topicMatches("#", "anything.at.all"));
  EXPECT_TRUE(topicMatches("*.low", "stock.low"));
  EXPECT_FALSE(topicMatches("*.low", "stock.high"));
}

TEST(RetryPolicy, DoublesFromTheBaseUpToTheCap) {
  RetryPolicy policy;
  policy.base_delay = 100ms;
  policy.max_delay = 500ms;
  EXPECT_EQ(policy.delayAfter(1), 100ms);
  EXPECT_EQ(policy.delayAfter(2), 200ms);
  EXPECT_EQ(policy.delayAfter(3), 400ms);
  EXPECT_EQ(policy.delayAfter(4), 500ms);
  EXPECT_EQ(policy.delayAfter(1000), 500ms);
}

}  // namespace
}  // namespace emporium::events
