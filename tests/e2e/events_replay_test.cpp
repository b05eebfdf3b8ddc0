// `emporium events replay` end to end on both SQL backends (issue 14: the
// contract's `--to CONSUMER` did not exist). An order's confirmation is mailed
// again when the events are replayed to notifications from the command line,
// with the shop stopped; replaying reviews to catalog.ratings leaves the
// rating right; an unknown consumer is a usage error naming the valid ones;
// without --to the log prints the outboxes' domain events among the activity
// events, in time order. With the test servers, the same replay over RabbitMQ.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "e2e/mail_support.hpp"
#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;

std::string randomSuffix() {
  return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
}

// `at`, whole seconds, as --from takes it.
std::string utcTime(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The events a replay printed: its output's lines that are event objects
// (the logger's lines are not: they carry no "source").
struct PrintedEvent {
  std::string type;
  std::string occurred_at;
};
std::vector<PrintedEvent> printedEvents(const std::string& output) {
  std::vector<PrintedEvent> events;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("{")) continue;
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("source") || !d.HasMember("type")) {
      continue;
    }
    events.push_back({d["type"].GetString(), d["occurred_at"].GetString()});
  }
  return events;
}

std::size_t countType(const std::vector<PrintedEvent>& events, const std::string& type) {
  return static_cast<std::size_t>(std::count_if(
      events.begin(), events.end(), [&](const PrintedEvent& e) { return e.type == type; }));
}

class EventsReplayTest : public ShopTest {
 protected:
  void startShop(const Headers& extra = {}) {
    ASSERT_NE(startServer(extra), 0);
    ASSERT_NO_FATAL_FAILURE(signInAdmin());
  }

  // A cash-on-delivery order (confirmed at once) of one unit; its number.
  std::string order(const std::string& token, const std::string& sku) {
    const std::string cart = text(parseJson(get("/api/v1/me/cart", token).body), "id");
    const auto added = send("POST", "/api/v1/carts/" + cart + "/items",
                            "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":1}", token);
    EXPECT_TRUE(added.status == 200 || added.status == 201) << added.body;
    const auto placed =
        send("POST", "/api/v1/orders",
             "{\"cart_id\":" + jsonQuote(cart) + ",\"shipping_address\":" + kAddress +
                 R"(,"payment":{"method":"cod"}})",
             token, {{"Idempotency-Key", "replay-" + randomSuffix()}});
    EXPECT_EQ(placed.status, 201) << placed.body;
    return text(parseJson(placed.body), "number");
  }

  ProcessResult emporium(std::initializer_list<std::string> args, const Headers& extra = {}) {
    auto e = env();
    for (const auto& [k, v] : extra) e[k] = v;
    return runProcess(cmd(args), e);
  }

  // An order placed and confirmed by mail through `smtp`, the shop stopped,
  // then the events since before it replayed to notifications: the
  // confirmation (and the welcome) arrive a second time.
  void checkConfirmationMailedAgain(SlowSmtp& smtp, const Headers& shop_env) {
    const std::string from = utcTime(std::chrono::system_clock::now() - 1s);
    ASSERT_NO_FATAL_FAILURE(startShop(shop_env));
    const std::string email = "ada" + randomSuffix() + "@example.com";
    const std::string to = "To: Ada Lovelace <" + email + ">";
    const std::string buyer = registerCustomer(email, "Ada Lovelace");
    const std::string number = order(buyer, createProduct("Replayed Mug", 1250, 20));
    ASSERT_FALSE(number.empty());
    ASSERT_TRUE(eventually([&] { return countContaining(smtp.messages(), to) == 2; }, 30s))
        << "no welcome and confirmation for " << email << "\n"
        << smtp.log();
    ASSERT_EQ(countContaining(smtp.messages(), number), 1U);
    stopServers();

    const auto replayed =
        emporium({"events", "replay", "--from", from, "--to", "notifications"}, shop_env);
    ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
    const auto fed = printedEvents(replayed.output);
    EXPECT_EQ(countType(fed, "order.confirmed"), 1U) << replayed.output;
    EXPECT_EQ(countType(fed, "review.created"), 0U) << "not a notifications event";
    EXPECT_NE(replayed.output.find("fed to notifications, 0 failed"), std::string::npos)
        << replayed.output;
    // The command returns once the mail server took the messages.
    EXPECT_EQ(countContaining(smtp.messages(), number), 2U) << smtp.log();
    EXPECT_EQ(countContaining(smtp.messages(), to), 4U) << smtp.log();

    // --type narrows it to the confirmation: no third welcome.
    const auto narrowed = emporium(
        {"events", "replay", "--from", from, "--to", "notifications", "--type", "order.confirmed"},
        shop_env);
    ASSERT_EQ(narrowed.exit_code, 0) << narrowed.output;
    EXPECT_EQ(countContaining(smtp.messages(), number), 3U) << smtp.log();
    EXPECT_EQ(countContaining(smtp.messages(), to), 5U) << smtp.log();

    // From after the last event: nothing to feed, nothing sent.
    const std::string later = utcTime(std::chrono::system_clock::now() + 60s);
    const auto none =
        emporium({"events", "replay", "--from", later, "--to", "notifications"}, shop_env);
    ASSERT_EQ(none.exit_code, 0) << none.output;
    EXPECT_NE(none.output.find("0 event(s) since"), std::string::npos) << none.output;
    EXPECT_TRUE(printedEvents(none.output).empty()) << none.output;
    EXPECT_EQ(countContaining(smtp.messages(), to), 5U) << smtp.log();
  }
};

TEST_P(EventsReplayTest, ReplayingToNotificationsMailsTheConfirmationAgain) {
  SlowSmtp smtp(data_dir_ / "smtp", 0);
  ASSERT_TRUE(smtp.ready()) << smtp.output();
  checkConfirmationMailedAgain(smtp, {{"EMPORIUM_SMTP_URL", smtp.url()}});
}

TEST_P(EventsReplayTest, ReplayingReviewsToCatalogRatingsKeepsTheRating) {
  const std::string from = utcTime(std::chrono::system_clock::now() - 1s);
  ASSERT_NO_FATAL_FAILURE(startShop());
  createProduct("Replayed Lamp", 1500, 10);
  const std::string reviews = "/api/v1/products/replayed-lamp/reviews";
  for (const auto& [name, rating] : {std::pair{"Rita Rater", 5}, std::pair{"Rob Rater", 2}}) {
    const auto token = registerCustomer("rater" + randomSuffix() + "@example.com", name);
    const auto posted = send(
        "POST", reviews,
        R"({"rating":)" + std::to_string(rating) + R"(,"title":"Lamp","body":"It is a lamp."})",
        token);
    ASSERT_EQ(posted.status, 201) << posted.body;
  }
  const auto rated = [&] {
    const auto product = parseJson(get("/api/v1/products/replayed-lamp").body);
    return product.HasMember("review_count") && product["review_count"].IsInt64() &&
           product["review_count"].GetInt64() == 2 && product.HasMember("rating") &&
           product["rating"].IsNumber() && product["rating"].GetDouble() == 3.5;
  };
  ASSERT_TRUE(eventually(rated, 20s)) << get("/api/v1/products/replayed-lamp").body;
  stopServers();

  const auto replayed = emporium({"events", "replay", "--from", from, "--to", "catalog.ratings"});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
  const auto fed = printedEvents(replayed.output);
  EXPECT_EQ(countType(fed, "review.created"), 2U) << replayed.output;
  EXPECT_EQ(fed.size(), 2U) << "only catalog.ratings' events: " << replayed.output;
  EXPECT_NE(replayed.output.find("2 event(s) since"), std::string::npos) << replayed.output;

  // Recomputed, not added to: still two reviews averaging 3.5.
  ASSERT_NE(startServer(), 0);
  EXPECT_TRUE(rated()) << get("/api/v1/products/replayed-lamp").body;
}

TEST_P(EventsReplayTest, AnUnknownConsumerOrTimeIsAUsageError) {
  const auto unknown = emporium({"events", "replay", "--from", "2026-01-01", "--to", "mailer"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(
      unknown.output.find(
          "--to must be one of: notifications, catalog.ratings, catalog.purchases, catalog.stock"),
      std::string::npos)
      << unknown.output;
  const auto bad_time =
      emporium({"events", "replay", "--from", "yesterday", "--to", "notifications"});
  EXPECT_EQ(bad_time.exit_code, 2) << bad_time.output;
  EXPECT_NE(bad_time.output.find("--from must be a UTC time"), std::string::npos)
      << bad_time.output;
}

// `dlq` checks its arguments as `events replay` does: a usage error exits 2,
// naming the flag, before any database is opened.
TEST_P(EventsReplayTest, BadDlqArgumentsAreUsageErrors) {
  const std::string consumers =
      "--consumer must be one of: notifications, catalog.ratings, catalog.purchases, "
      "catalog.stock";
  const std::string id_or_all = "dlq replay needs --id EVENT... or --all (not both)";
  const std::pair<ProcessResult, std::string> cases[] = {
      {emporium({"dlq", "list", "--consumer", "mailer"}), consumers},
      {emporium({"dlq", "replay", "--all", "--consumer", "mailer"}), consumers},
      {emporium({"dlq", "replay"}), id_or_all},
      {emporium({"dlq", "replay", "--all", "--id", "01J0000000000000000000000"}), id_or_all},
  };
  for (const auto& [result, message] : cases) {
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find(message), std::string::npos) << result.output;
  }
}

TEST_P(EventsReplayTest, TheLogHasDomainEventsAmongTheActivityInTimeOrder) {
  const std::string from = utcTime(std::chrono::system_clock::now() - 1s);
  ASSERT_NO_FATAL_FAILURE(startShop());
  const std::string buyer = registerCustomer("log" + randomSuffix() + "@example.com");
  const std::string sku = createProduct("Logged Kettle", 3000, 10);
  ASSERT_EQ(get("/api/v1/products/logged-kettle").status, 200);
  ASSERT_FALSE(order(buyer, sku).empty());
  stopServers();  // flushes the activity log

  const Headers quiet{{"EMPORIUM_LOG_LEVEL", "error"}};
  const auto all = emporium({"events", "replay", "--from", from}, quiet);
  ASSERT_EQ(all.exit_code, 0) << all.output;
  const auto printed = printedEvents(all.output);
  EXPECT_GE(countType(printed, "user.registered"), 1U) << all.output;
  EXPECT_EQ(countType(printed, "order.confirmed"), 1U) << all.output;
  EXPECT_GE(countType(printed, "activity.product_viewed"), 1U) << all.output;
  EXPECT_EQ(countType(printed, "activity.order_placed"), 1U) << all.output;
  for (std::size_t i = 1; i < printed.size(); ++i) {
    EXPECT_LE(printed[i - 1].occurred_at, printed[i].occurred_at) << "out of order at " << i;
  }

  const auto orders = emporium({"events", "replay", "--from", from, "--type", "order.*"}, quiet);
  ASSERT_EQ(orders.exit_code, 0) << orders.output;
  const auto order_events = printedEvents(orders.output);
  ASSERT_FALSE(order_events.empty()) << orders.output;
  for (const auto& event : order_events)
    EXPECT_TRUE(event.type.starts_with("order.")) << event.type;
}

// The same replay with events through RabbitMQ: the consumer runs in the
// command's process, its idempotency is in the database, so it mails again.
TEST_P(EventsReplayTest, ReplayingToNotificationsWorksWithRabbitMq) {
  const char* amqp = std::getenv("EMPORIUM_TEST_AMQP_URL");
  if (amqp == nullptr || *amqp == '\0') {
    const char* required = std::getenv("EMPORIUM_REQUIRE_SERVERS");
    if (required != nullptr && std::string(required) == "1") {
      FAIL() << "EMPORIUM_REQUIRE_SERVERS=1 but EMPORIUM_TEST_AMQP_URL is not set";
    }
    GTEST_SKIP() << "needs RabbitMQ (scripts/test-servers.sh)";
  }
  SlowSmtp smtp(data_dir_ / "smtp", 0);
  ASSERT_TRUE(smtp.ready()) << smtp.output();
  checkConfirmationMailedAgain(smtp, {{"EMPORIUM_SMTP_URL", smtp.url()},
                                      {"EMPORIUM_AMQP_URL", amqp},
                                      {"EMPORIUM_EVENTS_AMQP_PREFIX", "t" + randomSuffix() + "."}});
}

// The help says what a replay to notifications does and what cannot be replayed.
TEST(EventsReplayHelp, SaysNotificationsMailsAgainAndWhatIsGone) {
  const auto help = runProcess({EMPORIUM_BINARY, "events", "replay", "--help"}, {});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* words : {"--to CONSUMER", "notifications (mails them again)", "catalog.ratings",
                            "SENDS THE MAILS AGAIN", "7 days after publication"}) {
    EXPECT_NE(help.output.find(words), std::string::npos) << words << "\n" << help.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsReplayTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);

}  // namespace
}  // namespace emporium::test
