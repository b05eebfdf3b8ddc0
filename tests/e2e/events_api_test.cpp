// Asynchronous work end to end: the real binary, its outboxes and workers,
// and real mail. In process (the default) on both SQL backends: an order's
// confirmation lands in data/mail/, events committed before a crash are
// delivered after the restart, and an event that keeps failing is
// dead-lettered with backoff and can be replayed. With RabbitMQ and SMTP
// (the test servers): a 2 s-a-message SMTP server leaves checkout
// fast, RabbitMQ stopped while orders are placed loses no mail and sends none
// twice, and a worker killed in the middle of a message sends it once.
//
// These tests take RabbitMQ away and start SMTP servers, so CTest runs them
// one at a time (RUN_SERIAL).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/mail_support.hpp"
#include "e2e/shop_support.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kAddress =
    R"({"name":"Ada Lovelace","line1":"1 Analytical St","city":"London","postal_code":"N1 9GU","country":"GB"})";

std::string processEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Lines of a SlowSmtp log that start with `word`.
std::size_t logLines(const std::string& log, const std::string& word) {
  std::istringstream lines(log);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(word + " ")) ++count;
  }
  return count;
}

std::string randomSuffix() {
  return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
}

class EventsApiTest : public ShopTest {
 protected:
  void startShop(const Headers& extra = {}) {
    ASSERT_NE(startServer(extra), 0);
    signInAdmin();
  }

  std::string cartWith(const std::string& sku, std::int64_t quantity, const std::string& token) {
    const auto created = send("POST", "/api/v1/carts", "{}", token);
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string cart = text(parseJson(created.body), "id");
    const auto added = send(
        "POST", "/api/v1/carts/" + cart + "/items",
        "{\"sku\":" + jsonQuote(sku) + ",\"quantity\":" + std::to_string(quantity) + "}", token);
    EXPECT_TRUE(added.status == 200 || added.status == 201) << added.body;
    return cart;
  }

  // A cash-on-delivery order for `quantity` of sku; the response.
  HttpReply order(const std::string& token, const std::string& sku, std::int64_t quantity = 1) {
    const std::string cart = cartWith(sku, quantity, token);
    return send("POST", "/api/v1/orders",
                "{\"cart_id\":" + jsonQuote(cart) + ",\"shipping_address\":" + kAddress +
                    R"(,"payment":{"method":"cod"}})",
                token, {{"Idempotency-Key", "key-" + randomSuffix()}});
  }

  fs::path mailDir() const { return data_dir_ / "mail"; }

  // RabbitMQ (the test servers') for this test alone: its own exchange and queues.
  Headers amqpEnv() {
    return {{"EMPORIUM_AMQP_URL", processEnv("EMPORIUM_TEST_AMQP_URL")},
            {"EMPORIUM_EVENTS_AMQP_PREFIX", "t" + randomSuffix() + "."}};
  }

  // RabbitMQ and SMTP from scripts/test-servers.sh; required (a failure, not a
  // skip) with EMPORIUM_REQUIRE_SERVERS=1, as CI runs.
  bool haveServers() {
    if (!processEnv("EMPORIUM_TEST_AMQP_URL").empty() &&
        !processEnv("EMPORIUM_TEST_SMTP_URL").empty()) {
      return true;
    }
    if (processEnv("EMPORIUM_REQUIRE_SERVERS") == "1") {
      ADD_FAILURE() << "EMPORIUM_REQUIRE_SERVERS=1 but the test servers' env is not set";
    }
    return false;
  }

  ProcessResult emporium(std::initializer_list<std::string> args, const Headers& extra = {}) {
    auto e = env();
    for (const auto& [k, v] : extra) e[k] = v;
    return runProcess(cmd(args), e);
  }
};

// --- in process (the embedded default) --------------------------------------

TEST_P(EventsApiTest, AnOrderConfirmationAndTheOtherMailsLandInDataMail) {
  startShop();
  const std::string email = "ada" + randomSuffix() + "@example.com";
  const std::string buyer = registerCustomer(email, "Ada Lovelace");
  EXPECT_TRUE(eventually(
      [&] { return countContaining(messagesIn(mailDir()), "To: Ada Lovelace <" + email) == 1; },
      10s))
      << "no welcome mail for " << email;

  const std::string mug = createProduct("Blue Enamel Mug", 1250, 20);
  auto r = order(buyer, mug, 2);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto confirmed = parseJson(r.body);
  const std::string number = text(confirmed, "number");
  const std::string order_id = text(confirmed, "id");
  ASSERT_TRUE(eventually([&] { return countContaining(messagesIn(mailDir()), number) >= 1; }, 10s))
      << "no confirmation for " << number;
  const auto messages = messagesIn(mailDir());
  std::string confirmation;
  for (const auto& m : messages) {
    if (m.find(number) != std::string::npos) confirmation = m;
  }
  EXPECT_NE(confirmation.find("To: Ada Lovelace <" + email + ">"), std::string::npos);
  EXPECT_NE(confirmation.find("Blue Enamel Mug"), std::string::npos);
  EXPECT_NE(confirmation.find("text/plain"), std::string::npos);
  EXPECT_NE(confirmation.find("text/html"), std::string::npos);
  EXPECT_NE(confirmation.find("25.00"), std::string::npos);  // the line: 2 x 12.50

  r = send("POST", "/api/v1/admin/orders/" + order_id + "/ship",
           R"({"carrier":"DHL","tracking_number":"JD0987654321"})", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(
      eventually([&] { return countContaining(messagesIn(mailDir()), "JD0987654321") == 1; }, 10s))
      << "no shipping mail";

  r = order(buyer, mug, 1);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string second = text(parseJson(r.body), "id");
  const std::string second_number = text(parseJson(r.body), "number");
  r = send("POST", "/api/v1/orders/" + second + "/cancel", "{}", buyer);
  ASSERT_EQ(r.status, 200) << r.body;
  // The confirmation and the cancellation.
  EXPECT_TRUE(
      eventually([&] { return countContaining(messagesIn(mailDir()), second_number) == 2; }, 10s));

  // A reservation that leaves fewer than 5 available (the default threshold)
  // alerts the admins, once.
  const std::string lamp = createProduct("Last Brass Lamp", 9900, 5);
  r = order(buyer, lamp, 1);
  ASSERT_EQ(r.status, 201) << r.body;
  r = order(buyer, lamp, 1);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(eventually(
      [&] {
        const auto all = messagesIn(mailDir());
        return std::count_if(all.begin(), all.end(), [&](const std::string& m) {
                 return m.find("admin@example.com") != std::string::npos &&
                        m.find(lamp) != std::string::npos;
               }) == 1;
      },
      10s))
      << "no (or more than one) low-stock alert for " << lamp;

  // Nothing was sent twice: a mail per event.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(countContaining(messagesIn(mailDir()), number), 2U);  // confirmed, shipped
  const auto metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("emporium_events_handled_total{consumer=\"notifications\"}"),
            std::string::npos);
}

TEST_P(EventsApiTest, EventsCommittedBeforeACrashAreDeliveredAfterTheRestart) {
  startShop();
  const std::string email = "crash" + randomSuffix() + "@example.com";
  const std::string buyer = registerCustomer(email, "Crash Test");
  const std::string sku = createProduct("Crash Kettle", 3000, 5);
  stopServers();

  // The process dies right after the order (and its order.confirmed event)
  // commits: no time to deliver it.
  ASSERT_NE(startServer({{"EMPORIUM_TEST_CRASH_AT", "order_confirmed"}}), 0);
  try {
    const auto lost = order(buyer, sku);
    EXPECT_NE(lost.status, 201);
  } catch (const std::exception&) {
    // The connection died with the process: the buyer never heard back.
  }
  stopServers(/*kill=*/true);

  ASSERT_NE(startServer(), 0);
  const auto history = get("/api/v1/orders", buyer);
  ASSERT_EQ(history.status, 200) << history.body;
  const auto d = parseJson(history.body);
  ASSERT_EQ(d["items"].Size(), 1U) << history.body;
  const std::string number = text(d["items"][0], "number");
  EXPECT_TRUE(eventually([&] { return countContaining(messagesIn(mailDir()), number) == 1; }, 15s))
      << "the confirmation for " << number << " never came";
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(countContaining(messagesIn(mailDir()), number), 1U);
}

// The times slow_smtp.py logged `what` ("deferred", "rejected") for `email`.
std::vector<double> smtpAttempts(const SlowSmtp& smtp, const std::string& what,
                                 const std::string& email) {
  std::vector<double> times;
  std::istringstream lines(smtp.log());
  std::string word, rcpt;
  double at = 0;
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    if (fields >> word >> rcpt >> at && word == what && rcpt == email) times.push_back(at);
  }
  return times;
}

// One flow for both transports: a welcome mail the SMTP server keeps deferring
// (451, transient) is tried max_attempts times with growing gaps, then
// dead-lettered; `emporium dlq replay` sends it through the same again. A mail
// it refuses for good (550) is dead-lettered after one attempt, with the reason.
void checkPoisonFlow(const std::function<void(const std::string&)>& sign_up, SlowSmtp& smtp,
                     const std::string& email,
                     const std::function<ProcessResult(std::initializer_list<std::string>)>& run) {
  const auto attempts = [&] { return smtpAttempts(smtp, "deferred", email); };
  ASSERT_TRUE(eventually([&] { return attempts().size() >= 3; }, 30s)) << smtp.log();
  std::string listed;
  ASSERT_TRUE(eventually(
      [&] {
        listed = run({"dlq", "list", "--json"}).output;
        return listed.find("user.registered") != std::string::npos;
      },
      20s))
      << listed;
  auto times = attempts();
  ASSERT_EQ(times.size(), 3U) << smtp.log();  // max_attempts, no more
  EXPECT_GE(times[1] - times[0], 0.3 * 0.9);  // backoff 300 ms, then 600 ms
  EXPECT_GE(times[2] - times[1], 0.6 * 0.9);
  EXPECT_NE(listed.find("\"attempts\":3"), std::string::npos) << listed;

  const auto replay = run({"dlq", "replay", "--all"});
  EXPECT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_NE(replay.output.find("replayed 1 event"), std::string::npos) << replay.output;
  EXPECT_TRUE(eventually([&] { return attempts().size() == 6; }, 30s)) << smtp.log();

  // A permanent refusal: no retries, dead-lettered at once with the reason.
  const std::string refused = "reject" + randomSuffix() + "@example.com";
  sign_up(refused);
  ASSERT_TRUE(eventually(
      [&] {
        listed = run({"dlq", "list", "--json"}).output;
        return listed.find("\"attempts\":1") != std::string::npos;
      },
      20s))
      << listed << smtp.log();
  EXPECT_NE(listed.find("550"), std::string::npos) << "the reason: " << listed;
  EXPECT_EQ(smtpAttempts(smtp, "rejected", refused).size(), 1U) << smtp.log();
}

TEST_P(EventsApiTest, AnEventThatKeepsFailingIsDeadLetteredWithBackoffAndCanBeReplayed) {
  SlowSmtp smtp(data_dir_ / "smtp", 0);
  ASSERT_TRUE(smtp.ready()) << smtp.output();
  const Headers config{{"EMPORIUM_SMTP_URL", smtp.url()},
                       {"EMPORIUM_EVENTS_MAX_ATTEMPTS", "3"},
                       {"EMPORIUM_EVENTS_RETRY_BASE_MS", "300"}};
  startShop(config);
  const std::string email = "busy" + randomSuffix() + "@example.com";
  registerCustomer(email, "Never Delivered");
  checkPoisonFlow([this](const std::string& e) { registerCustomer(e, "Never Delivered"); }, smtp,
                  email,
                  [&](std::initializer_list<std::string> args) { return emporium(args, config); });
}

// --- RabbitMQ and SMTP --------------------------------------------------------

TEST_P(EventsApiTest, ASlowSmtpServerDoesNotSlowCheckout) {
  if (!haveServers()) GTEST_SKIP() << "needs the test servers (RabbitMQ, SMTP)";
  SlowSmtp smtp(data_dir_ / "smtp", 2.0);
  ASSERT_TRUE(smtp.ready()) << smtp.output();
  auto config = amqpEnv();
  config["EMPORIUM_SMTP_URL"] = smtp.url();
  startShop(config);
  const std::string buyer = registerCustomer("slow" + randomSuffix() + "@example.com");
  const std::string sku = createProduct("Slow Teapot", 2000, 50);
  std::vector<std::string> numbers;
  std::vector<double> millis;
  for (int i = 0; i < 6; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = order(buyer, sku);
    millis.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    ASSERT_EQ(r.status, 201) << r.body;
    numbers.push_back(text(parseJson(r.body), "number"));
  }
  // Mail would take 2 s an order; checkout (cart + order) answers far sooner.
  std::sort(millis.begin(), millis.end());
  EXPECT_LT(millis.back(), 1000.0) << "slowest checkout " << millis.back() << " ms";
  // And every confirmation still arrives, once (the welcome mail goes first).
  for (const auto& number : numbers) {
    EXPECT_TRUE(eventually([&] { return countContaining(smtp.messages(), number) == 1; }, 60s))
        << number;
  }
}

TEST_P(EventsApiTest, RabbitMqStoppedWhileOrdersArePlacedLosesNoMailAndSendsNoneTwice) {
  if (!haveServers()) GTEST_SKIP() << "needs the test servers (RabbitMQ, SMTP)";
  auto config = amqpEnv();
  config["EMPORIUM_SMTP_URL"] = processEnv("EMPORIUM_TEST_SMTP_URL");
  const fs::path maildir = processEnv("EMPORIUM_TEST_SMTP_MAILDIR");
  startShop(config);
  const std::string buyer = registerCustomer("outage" + randomSuffix() + "@example.com");
  const std::string sku = createProduct("Outage Lamp", 4500, 50);

  const Headers script_env{{"PATH", processEnv("PATH")},
                           {"EMPORIUM_TEST_STATE", processEnv("EMPORIUM_TEST_STATE")}};
  const auto stop =
      runProcess({"/bin/bash", EMPORIUM_TEST_SERVERS_SCRIPT, "rabbitmq-stop-app"}, script_env);
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  std::vector<std::string> numbers;
  for (int i = 0; i < 5; ++i) {
    const auto r = order(buyer, sku);
    EXPECT_EQ(r.status, 201) << r.body;  // checkout does not need RabbitMQ
    if (r.status == 201) numbers.push_back(text(parseJson(r.body), "number"));
  }
  std::this_thread::sleep_for(1s);
  for (const auto& number : numbers) {
    EXPECT_EQ(countContaining(messagesIn(maildir), number), 0U) << "sent without RabbitMQ?";
  }
  const auto start =
      runProcess({"/bin/bash", EMPORIUM_TEST_SERVERS_SCRIPT, "rabbitmq-start-app"}, script_env);
  ASSERT_EQ(start.exit_code, 0) << start.output;

  for (const auto& number : numbers) {
    EXPECT_TRUE(eventually([&] { return countContaining(messagesIn(maildir), number) >= 1; }, 60s))
        << "no confirmation for " << number;
  }
  std::this_thread::sleep_for(3s);  // time for a duplicate to show up, if any would
  for (const auto& number : numbers) {
    EXPECT_EQ(countContaining(messagesIn(maildir), number), 1U) << number;
  }
}

TEST_P(EventsApiTest, AWorkerKilledInTheMiddleOfAMessageRedeliversItAndSendsOnce) {
  if (!haveServers()) GTEST_SKIP() << "needs the test servers (RabbitMQ, SMTP)";
  SlowSmtp smtp(data_dir_ / "smtp", 3.0);
  ASSERT_TRUE(smtp.ready()) << smtp.output();
  auto config = amqpEnv();
  config["EMPORIUM_SMTP_URL"] = smtp.url();
  auto api = config;
  api["EMPORIUM_TARGET"] = "api";
  startShop(api);
  const std::string buyer = registerCustomer("killed" + randomSuffix() + "@example.com");
  const std::string sku = createProduct("Killed Clock", 1500, 5);
  auto worker = config;
  worker["EMPORIUM_TARGET"] = "worker";
  ASSERT_NE(startServer(worker), 0);
  // The welcome mail first (3 s), so the worker is idle when the order comes.
  ASSERT_TRUE(eventually([&] { return smtp.messages().size() == 1; }, 20s)) << smtp.log();

  const auto r = order(buyer, sku);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string number = text(parseJson(r.body), "number");
  // The worker is sending it: the server has the DATA and takes 3 s to answer.
  ASSERT_TRUE(eventually([&] { return logLines(smtp.log(), "data") >= 2; }, 15s)) << smtp.log();
  killServer(1);  // the worker: SIGKILL, before it acknowledged the message
  EXPECT_EQ(countContaining(smtp.messages(), number), 0U);  // the server never said 250

  ASSERT_NE(startServer(worker), 0);
  EXPECT_TRUE(eventually([&] { return countContaining(smtp.messages(), number) == 1; }, 30s))
      << smtp.log();
  std::this_thread::sleep_for(4s);
  EXPECT_EQ(countContaining(smtp.messages(), number), 1U);
}

TEST_P(EventsApiTest, OverRabbitMqAPoisonMessageIsDeadLetteredWithBackoffAndCanBeReplayed) {
  if (!haveServers()) GTEST_SKIP() << "needs the test servers (RabbitMQ, SMTP)";
  SlowSmtp smtp(data_dir_ / "smtp", 0);
  ASSERT_TRUE(smtp.ready()) << smtp.output();
  auto config = amqpEnv();
  config["EMPORIUM_SMTP_URL"] = smtp.url();
  config["EMPORIUM_EVENTS_MAX_ATTEMPTS"] = "3";
  config["EMPORIUM_EVENTS_RETRY_BASE_MS"] = "300";
  startShop(config);
  const std::string email = "busy" + randomSuffix() + "@example.com";
  registerCustomer(email, "Never Delivered");
  checkPoisonFlow([this](const std::string& e) { registerCustomer(e, "Never Delivered"); }, smtp,
                  email,
                  [&](std::initializer_list<std::string> args) { return emporium(args, config); });
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendTestName);

}  // namespace
}  // namespace emporium::test
