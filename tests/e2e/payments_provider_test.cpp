// HttpCardProvider against the real sandbox provider served over HTTP in this
// process (port 0): retries of the transient test card, the lost response
// that idempotency keys exist for, declines that are never retried, refunds,
// the circuit breaker on a closed port, and the sandbox's own validation.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <vector>

#include "app/sandbox_listener.hpp"
#include "core/metrics/exposition.hpp"
#include "core/net/server.hpp"
#include "core/sql/migrations.hpp"
#include "e2e/process.hpp"
#include "services/payments/payments_module.hpp"
#include "services/payments/payments_service.hpp"
#include "services/payments/provider/http_card_provider.hpp"
#include "services/payments/storage/schema.hpp"
#include "support/http_client.hpp"

namespace emporium::payments {
namespace {

using namespace std::chrono_literals;

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

constexpr char kSecret[] = "test-sandbox-secret-0123456789";

// The sandbox over its own SQLite database, on its own listener (port 0), as
// `serve` runs it. `now` replaces its clock (token expiry).
class Sandbox {
 public:
  explicit Sandbox(const std::filesystem::path& data_dir, bool limit_tokens = false,
                   std::function<std::chrono::system_clock::time_point()> now = {}) {
    sql::DatabaseOptions options;
    options.service = "sandbox";
    options.data_dir = data_dir.string();
    db_ = sql::openDatabase(options);
    sql::applyMigrations(*db_, sandbox::migrations());
    net::ServerOptions server_options;
    server_options.port = 0;
    server_options.threads = 1;
    server_options.blocking_threads = 4;
    server_options.access_log = false;
    listener_ = std::make_unique<app::SandboxListener>(
        *db_, app::SandboxListenerOptions{server_options, kSecret, limit_tokens, {}}, logger_);
    if (now) listener_->module().api().now = std::move(now);
    listener_->start();
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  std::uint16_t port() const { return listener_->port(); }
  std::string baseUrl() const { return listener_->baseUrl(); }
  sandbox::SandboxStore& store() { return listener_->module().store(); }

  /// With the sandbox secret unless headers carry an Authorization of their own.
  test::HttpReply post(const std::string& path, const std::string& body,
                       std::map<std::string, std::string> headers = {}) const {
    headers.emplace("Authorization", std::string("Bearer ") + kSecret);
    return test::httpRequest(port(), "POST", "/sandbox" + path, body, headers);
  }
  test::HttpReply get(const std::string& path,
                      std::map<std::string, std::string> headers = {}) const {
    headers.emplace("Authorization", std::string("Bearer ") + kSecret);
    return test::httpRequest(port(), "GET", "/sandbox" + path, "", headers);
  }

  /// Tokenizes as a browser would: no secret.
  test::HttpReply tokenize(const std::string& number) const {
    return test::httpRequest(
        port(), "POST", "/sandbox/v1/tokens",
        R"({"number":")" + number + R"(","exp_month":12,"exp_year":2099,"cvc":"123"})",
        {{"Content-Type", "application/json"}});
  }
  std::string token(const std::string& number) const {
    const auto r = tokenize(number);
    EXPECT_EQ(r.status, 201) << r.body;
    return parse(r.body)["token"].GetString();
  }

  /// The charges the sandbox holds under a key.
  rapidjson::SizeType chargesUnder(const std::string& key) const {
    const auto r = get("/v1/charges?idempotency_key=" + key);
    EXPECT_EQ(r.status, 200);
    return parse(r.body)["items"].GetArray().Size();
  }

 private:
  log::Logger logger_{log::Level::kError};
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<app::SandboxListener> listener_;
};

class PaymentsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    data_dir_ = std::filesystem::temp_directory_path() /
                ("emporium_sandbox_" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(data_dir_);
    sandbox_ = std::make_unique<Sandbox>(data_dir_);
  }
  void TearDown() override {
    sandbox_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  // Records the waits between attempts instead of sleeping them.
  HttpCardProviderHooks recordingHooks() {
    HttpCardProviderHooks hooks;
    hooks.sleep = [this](std::chrono::milliseconds d) {
      const std::lock_guard lock(mutex_);
      waits_.push_back(d);
    };
    return hooks;
  }
  std::unique_ptr<HttpCardProvider> provider(HttpCardProviderOptions options = {}) {
    options.secret = kSecret;
    return std::make_unique<HttpCardProvider>([url = sandbox_->baseUrl()] { return url; }, options,
                                              recordingHooks());
  }
  std::size_t waits() {
    const std::lock_guard lock(mutex_);
    return waits_.size();
  }

  std::filesystem::path data_dir_;
  std::unique_ptr<Sandbox> sandbox_;
  std::mutex mutex_;
  std::vector<std::chrono::milliseconds> waits_;
};

TEST_F(PaymentsProviderTest, ApprovedChargeCarriesBrandAndLastFour) {
  const auto p = provider();
  const auto r = p->charge(sandbox_->token("4242 4242 4242 4242"), 1999, "USD", "key-ok", "user:1");
  ASSERT_EQ(r.status, ProviderStatus::kApproved) << r.detail;
  EXPECT_TRUE(r.charge_id.starts_with("ch_"));
  EXPECT_EQ(r.brand, "visa");
  EXPECT_EQ(r.last4, "4242");
  EXPECT_EQ(waits(), 0U);
}

TEST_F(PaymentsProviderTest, TransientCardIsRetriedToApprovalWithOneCharge) {
  const auto p = provider();
  const auto r = p->charge(sandbox_->token("4000000000000119"), 500, "USD", "key-0119", "user:1");
  ASSERT_EQ(r.status, ProviderStatus::kApproved) << r.detail;
  EXPECT_EQ(waits(), 2U);  // two 503s, each followed by a backoff
  for (const auto w : waits_) EXPECT_LE(w, 100ms);
  EXPECT_EQ(sandbox_->chargesUnder("key-0119"), 1U);
  EXPECT_EQ(p->breaker().state, CircuitBreaker::State::kClosed);
}

TEST_F(PaymentsProviderTest, LostResponseIsRetriedIntoTheSameCharge) {
  const auto token = sandbox_->token("4242424242424242");
  ASSERT_EQ(sandbox_->post("/v1/control", R"({"fail_mode":"after","fail_next":1})").status, 200);
  const auto p = provider();
  const auto r = p->charge(token, 700, "USD", "key-lost", "user:1");
  ASSERT_EQ(r.status, ProviderStatus::kApproved) << r.detail;
  EXPECT_EQ(waits(), 1U);
  EXPECT_EQ(sandbox_->chargesUnder("key-lost"), 1U);
  // Asking again with the key answers with that charge.
  EXPECT_EQ(p->charge(token, 700, "USD", "key-lost", "user:1").charge_id, r.charge_id);
  EXPECT_EQ(sandbox_->chargesUnder("key-lost"), 1U);
}

TEST_F(PaymentsProviderTest, FailuresBeforeChargingExhaustTheRetries) {
  const auto token = sandbox_->token("4242424242424242");
  ASSERT_EQ(sandbox_->post("/v1/control", R"({"fail_mode":"before","fail_next":4})").status, 200);
  const auto p = provider();
  const auto r = p->charge(token, 700, "USD", "key-down", "user:1");
  EXPECT_EQ(r.status, ProviderStatus::kUnavailable);
  EXPECT_EQ(waits(), 3U);  // 4 attempts, 3 waits
  EXPECT_EQ(sandbox_->chargesUnder("key-down"), 0U);
  const auto control = parse(sandbox_->get("/v1/control").body);
  EXPECT_EQ(control["fail_next"].GetInt64(), 0);
  EXPECT_STREQ(control["fail_mode"].GetString(), "before");
}

TEST_F(PaymentsProviderTest, DeclinesAreAnsweredAtOnceNeverRetried) {
  const auto p = provider();
  EXPECT_EQ(p->charge(sandbox_->token("4000000000000002"), 100, "USD", "key-d", "user:1").status,
            ProviderStatus::kDeclined);
  EXPECT_EQ(p->charge(sandbox_->token("4000000000009995"), 100, "USD", "key-n", "user:1").status,
            ProviderStatus::kInsufficientFunds);
  EXPECT_EQ(p->charge("tok_unknown", 100, "USD", "key-u", "user:1").status,
            ProviderStatus::kInvalidToken);
  EXPECT_EQ(waits(), 0U);
  // The declined charge is kept under its key: a replay is declined again.
  EXPECT_EQ(p->charge(sandbox_->token("4242424242424242"), 100, "USD", "key-d", "user:1").status,
            ProviderStatus::kDeclined);
}

TEST_F(PaymentsProviderTest, RefundsAreIdempotent) {
  const auto p = provider();
  const auto charge = p->charge(sandbox_->token("4242424242424242"), 900, "USD", "key-r", "user:1");
  ASSERT_EQ(charge.status, ProviderStatus::kApproved);
  const auto first = p->refund("key-r", "key-r:refund", 0);
  ASSERT_EQ(first.status, ProviderRefundStatus::kRefunded) << first.detail;
  EXPECT_EQ(first.charge_id, charge.charge_id);
  EXPECT_EQ(p->refund("key-r", "key-r:refund", 0).refund_id, first.refund_id);
  EXPECT_EQ(p->refund("key-r", "another-key", 0).refund_id, first.refund_id);  // refunded once
  EXPECT_EQ(p->refund("key-never", "key-never:refund", 0).status,
            ProviderRefundStatus::kNoSuchCharge);
  const auto listed = parse(sandbox_->get("/v1/charges?idempotency_key=key-r").body);
  EXPECT_TRUE(listed["items"][0]["refunded"].GetBool());
}

TEST_F(PaymentsProviderTest, BreakerOpensOnAClosedPortThenFailsFast) {
  HttpCardProviderOptions options;
  options.breaker = {5, 5000ms};
  const test::ClosedPort closed;
  std::string url = "http://127.0.0.1:" + std::to_string(closed.port()) + "/sandbox";
  HttpCardProvider p([url = std::move(url)] { return url; }, options, recordingHooks());
  // 4 attempts, then 1 more: the fifth consecutive failure opens the breaker.
  EXPECT_EQ(p.charge("tok_x", 100, "USD", "k1", "user:1").status, ProviderStatus::kUnavailable);
  EXPECT_EQ(p.breaker().state, CircuitBreaker::State::kClosed);
  EXPECT_EQ(p.charge("tok_x", 100, "USD", "k2", "user:1").status, ProviderStatus::kUnavailable);
  EXPECT_EQ(p.breaker().state, CircuitBreaker::State::kOpen);
  const auto waits_before = waits();
  const auto rejected_before = p.breaker().calls_rejected;
  for (int i = 0; i < 20; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = p.charge("tok_x", 100, "USD", "k-fast-" + std::to_string(i), "user:1");
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.status, ProviderStatus::kUnavailable);
    // No attempt at all (the counters below); the bound only rules out a
    // connect timeout or a backoff, with room for a loaded machine.
    EXPECT_LT(took, 100ms);
  }
  EXPECT_EQ(waits(), waits_before);  // no attempts, so no backoff either
  EXPECT_EQ(p.breaker().calls_rejected - rejected_before, 20);
  EXPECT_EQ(p.refund("k1", "k1:refund", 0).status, ProviderRefundStatus::kUnavailable);
}

TEST_F(PaymentsProviderTest, BreakerClosesWhenTheProviderComesBack) {
  std::atomic<std::chrono::steady_clock::time_point> now{std::chrono::steady_clock::now()};
  HttpCardProviderOptions options;
  options.retry.max_attempts = 1;
  options.breaker = {2, 5000ms};
  options.secret = kSecret;
  const test::ClosedPort closed;
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed.port()) + "/sandbox";
  const std::string alive = sandbox_->baseUrl();
  std::atomic<bool> up{false};
  auto hooks = recordingHooks();
  hooks.clock = [&now] { return now.load(); };
  HttpCardProvider p([&] { return up ? alive : dead; }, options, hooks);
  const auto token = sandbox_->token("4242424242424242");
  EXPECT_EQ(p.charge(token, 100, "USD", "b1", "user:1").status, ProviderStatus::kUnavailable);
  EXPECT_EQ(p.charge(token, 100, "USD", "b1", "user:1").status, ProviderStatus::kUnavailable);
  EXPECT_EQ(p.breaker().state, CircuitBreaker::State::kOpen);
  up = true;
  EXPECT_EQ(p.charge(token, 100, "USD", "b1", "user:1").status,
            ProviderStatus::kUnavailable);  // cooling
  now = now.load() + 5s;
  EXPECT_EQ(p.charge(token, 100, "USD", "b1", "user:1").status,
            ProviderStatus::kApproved);  // the probe
  EXPECT_EQ(p.breaker().state, CircuitBreaker::State::kClosed);
}

TEST_F(PaymentsProviderTest, SlowProviderTimesOut) {
  ASSERT_EQ(sandbox_->post("/v1/control", R"({"latency_ms":600})").status, 200);
  HttpCardProviderOptions options;
  options.total_timeout = 100ms;
  options.retry.max_attempts = 2;
  const auto p = provider(options);
  const auto started = std::chrono::steady_clock::now();
  const auto r = p->charge(sandbox_->token("4242424242424242"), 100, "USD", "key-slow", "user:1");
  EXPECT_EQ(r.status, ProviderStatus::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
  ASSERT_EQ(sandbox_->post("/v1/control", R"({"latency_ms":0})").status, 200);
}

TEST_F(PaymentsProviderTest, ChargesSurviveARestartOfTheSandbox) {
  const auto token = sandbox_->token("4242424242424242");
  const auto first = provider()->charge(token, 100, "USD", "key-restart", "user:1");
  ASSERT_EQ(first.status, ProviderStatus::kApproved);
  sandbox_ = std::make_unique<Sandbox>(data_dir_);  // same database, new process state
  const auto again = provider()->charge(token, 100, "USD", "key-restart", "user:1");
  EXPECT_EQ(again.charge_id, first.charge_id);
  EXPECT_EQ(sandbox_->chargesUnder("key-restart"), 1U);
}

TEST_F(PaymentsProviderTest, PaymentsServiceThroughTheSandbox) {
  sql::DatabaseOptions options;
  options.service = "payments";
  options.data_dir = data_dir_.string();
  const auto db = sql::openDatabase(options);
  sql::applyMigrations(*db, migrations());
  events::Doorbell doorbell;
  const events::Outbox outbox("payments", *db, doorbell);
  PaymentStore store(*db, outbox);
  const auto p = provider();
  const log::Logger logger{log::Level::kError};
  PaymentsService service(store, *p, logger);
  const auto token = sandbox_->token("5555 5555 5555 4444");
  const auto r =
      service.charge({"ord_1", "ord_1", Method::kCard, token, "", 2500, "USD", "user:1"});
  ASSERT_EQ(r.outcome, ChargeOutcome::kCaptured) << r.detail;
  EXPECT_EQ(r.payment->card_brand, "mastercard");
  EXPECT_EQ(r.payment->card_last4, "4444");
  EXPECT_EQ(service.refund("ord_1"), RefundOutcome::kRefunded);
  const auto listed = parse(sandbox_->get("/v1/charges").body);
  ASSERT_EQ(listed["items"].GetArray().Size(), 1U);
  EXPECT_STREQ(listed["items"][0]["idempotency_key"].GetString(), r.payment->id.c_str());
  EXPECT_TRUE(listed["items"][0]["refunded"].GetBool());
  const auto declined =
      service.charge({"ord_2", "ord_2", Method::kCard, sandbox_->token("4000000000000002"), "",
                      2500, "USD", "user:1"});
  EXPECT_EQ(declined.outcome, ChargeOutcome::kDeclined);
}

TEST_F(PaymentsProviderTest, ModuleExposesTheBreakerAsMetrics) {
  sql::DatabaseOptions options;
  options.service = "payments";
  options.data_dir = data_dir_.string();
  const auto db = sql::openDatabase(options);
  sql::applyMigrations(*db, migrations());
  const log::Logger logger{log::Level::kError};
  HttpCardProviderOptions provider_options;
  provider_options.retry.max_attempts = 1;
  provider_options.breaker = {1, 60s};
  const test::ClosedPort closed;
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed.port());
  events::Doorbell doorbell;
  const events::Outbox outbox("payments", *db, doorbell);
  PaymentsModule module(*db, outbox, providerBaseUrl(dead, {}), provider_options, logger);
  const auto text = [&module] {
    return metrics::textOf([&module](metrics::Exposition& e) { module.collect(e); });
  };
  const std::string before = text();
  EXPECT_NE(before.find("emporium_payments_provider_breaker_open 0\n"), std::string::npos)
      << before;
  const auto r =
      module.client().charge({"ord_1", "ord_1", Method::kCard, "tok_x", "", 100, "USD", "user:1"});
  EXPECT_EQ(r.outcome, ChargeOutcome::kUnavailable);
  const std::string after = text();
  EXPECT_NE(after.find("emporium_payments_provider_breaker_open 1\n"), std::string::npos) << after;
  EXPECT_NE(after.find("emporium_payments_provider_breaker_opened_total 1\n"), std::string::npos);
}

TEST_F(PaymentsProviderTest, TokenizingValidatesEveryField) {
  const auto ok = sandbox_->post(
      "/v1/tokens",
      R"({"number":"3782-822463-10005","exp_month":"07","exp_year":2099,"cvc":"1234"})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  const auto token = parse(ok.body);
  EXPECT_TRUE(std::string(token["token"].GetString()).starts_with("tok_"));
  EXPECT_STREQ(token["brand"].GetString(), "amex");
  EXPECT_STREQ(token["last4"].GetString(), "0005");
  EXPECT_EQ(ok.body.find("3782"), std::string::npos);  // the number is never echoed

  const auto expectField = [&](const std::string& body, const std::string& field) {
    const auto r = sandbox_->post("/v1/tokens", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_NE(r.body.find("\"field\":\"" + field + "\""), std::string::npos) << r.body;
  };
  expectField(R"({"number":"4242424242424241","exp_month":1,"exp_year":2099,"cvc":"123"})",
              "number");
  expectField(R"({"number":"4242","exp_month":1,"exp_year":2099,"cvc":"123"})", "number");
  expectField(R"({"exp_month":1,"exp_year":2099,"cvc":"123"})", "number");
  expectField(R"({"number":4242424242424242,"exp_month":1,"exp_year":2099,"cvc":"123"})", "number");
  expectField(R"({"number":"4242424242424242","exp_month":1,"exp_year":2001,"cvc":"123"})",
              "exp_year");
  expectField(R"({"number":"4242424242424242","exp_month":13,"exp_year":2099,"cvc":"123"})",
              "exp_month");
  expectField(R"({"number":"4242424242424242","exp_month":1,"exp_year":2099,"cvc":"12"})", "cvc");
  expectField(R"({"number":"4242424242424242","exp_month":1,"exp_year":2099})", "cvc");
  EXPECT_EQ(sandbox_->post("/v1/tokens", "{not json").status, 400);
}

TEST_F(PaymentsProviderTest, ChargeEndpointValidatesItsInput) {
  const auto token = sandbox_->token("4242424242424242");
  const std::string body = R"({"token":")" + token + R"(","amount":100,"currency":"USD"})";
  EXPECT_EQ(sandbox_->post("/v1/charges", body).status, 400);  // no Idempotency-Key
  const std::map<std::string, std::string> key{{"Idempotency-Key", "k-val"}};
  const auto zero = sandbox_->post(
      "/v1/charges", R"({"token":")" + token + R"(","amount":0,"currency":"USD"})", key);
  EXPECT_EQ(zero.status, 400);
  EXPECT_NE(zero.body.find("\"field\":\"amount\""), std::string::npos);
  const auto unknown =
      sandbox_->post("/v1/charges", R"({"token":"tok_nope","amount":100,"currency":"USD"})", key);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_STREQ(parse(unknown.body)["code"].GetString(), "invalid_token");
  const auto first = sandbox_->post("/v1/charges", body, key);
  EXPECT_EQ(first.status, 201);
  const auto replay = sandbox_->post("/v1/charges", body, key);
  EXPECT_EQ(replay.status, 200);
  EXPECT_STREQ(parse(replay.body)["id"].GetString(), parse(first.body)["id"].GetString());
  EXPECT_EQ(sandbox_->post("/v1/control", R"({"fail_rate":2})").status, 400);
  EXPECT_EQ(sandbox_->post("/v1/control", R"({"fail_mode":"sometimes"})").status, 400);
  EXPECT_EQ(sandbox_->get("/v1/charges?limit=0").status, 400);
  const auto refund = sandbox_->post("/v1/refunds", R"({"charge_idempotency_key":"none"})",
                                     {{"Idempotency-Key", "r-1"}});
  EXPECT_EQ(refund.status, 404);
  EXPECT_STREQ(parse(refund.body)["code"].GetString(), "no_such_charge");
}

TEST_F(PaymentsProviderTest, ChargeStateShowsRefundsMadeAtTheProvider) {
  const auto p = provider();
  ASSERT_EQ(p->charge(sandbox_->token("4242424242424242"), 900, "USD", "key-st", "user:1").status,
            ProviderStatus::kApproved);
  auto state = p->chargeState("key-st");
  EXPECT_EQ(state.lookup, ProviderChargeLookup::kFound) << state.detail;
  EXPECT_FALSE(state.refunded);
  // Refunded at the provider directly, as from its console.
  const auto refund = sandbox_->post("/v1/refunds", R"({"charge_idempotency_key":"key-st"})",
                                     {{"Idempotency-Key", "console-1"}});
  ASSERT_EQ(refund.status, 200) << refund.body;
  state = p->chargeState("key-st");
  EXPECT_EQ(state.lookup, ProviderChargeLookup::kFound);
  EXPECT_TRUE(state.refunded);
  EXPECT_EQ(state.refund_id, parse(refund.body)["id"].GetString());
  EXPECT_EQ(p->chargeState("key-none").lookup, ProviderChargeLookup::kNoSuchCharge);
  EXPECT_EQ(p->chargeState("key with spaces&x=1").lookup, ProviderChargeLookup::kNoSuchCharge);
  // No secret, or nobody listening: unknown, never "not refunded".
  HttpCardProvider anonymous([url = sandbox_->baseUrl()] { return url; }, {}, recordingHooks());
  EXPECT_EQ(anonymous.chargeState("key-st").lookup, ProviderChargeLookup::kUnavailable);
  HttpCardProviderOptions options;
  options.secret = kSecret;
  const test::ClosedPort closed;
  HttpCardProvider dead(
      [url = "http://127.0.0.1:" + std::to_string(closed.port()) + "/sandbox"] { return url; },
      options, recordingHooks());
  EXPECT_EQ(dead.chargeState("key-st").lookup, ProviderChargeLookup::kUnavailable);
  EXPECT_EQ(dead.breaker().consecutive_failures, 0);  // a background check never trips it
}

TEST_F(PaymentsProviderTest, EveryRouteButTokenizationNeedsTheSecret) {
  const auto token = sandbox_->token("4242424242424242");  // no secret needed
  const std::string charge = R"({"token":")" + token + R"(","amount":100,"currency":"USD"})";
  struct Call {
    const char* method;
    const char* path;
    std::string body;
  };
  const std::vector<Call> guarded{
      {"POST", "/sandbox/v1/charges", charge},
      {"GET", "/sandbox/v1/charges", ""},
      {"GET", "/sandbox/v1/charges?idempotency_key=k-sec", ""},
      {"POST", "/sandbox/v1/refunds", R"({"charge_idempotency_key":"k-sec"})"},
      {"GET", "/sandbox/v1/control", ""},
      {"POST", "/sandbox/v1/control", R"({"fail_rate":1})"},
  };
  for (const auto& call : guarded) {
    for (const std::string& auth : std::vector<std::string>{"", "Bearer wrong-secret-0123456789",
                                                            std::string("Bearer ") + kSecret + "x",
                                                            std::string("Basic ") + kSecret}) {
      std::map<std::string, std::string> headers{{"Content-Type", "application/json"},
                                                 {"Idempotency-Key", "k-sec"}};
      if (!auth.empty()) headers["Authorization"] = auth;
      const auto r =
          test::httpRequest(sandbox_->port(), call.method, call.path, call.body, headers);
      EXPECT_EQ(r.status, 401) << call.method << ' ' << call.path << " with '" << auth << "'";
      EXPECT_EQ(r.header("content-type"), "application/problem+json");
      EXPECT_FALSE(r.header("www-authenticate").empty());
    }
  }
  // Nothing happened: no charge, the control knobs untouched.
  EXPECT_EQ(sandbox_->chargesUnder("k-sec"), 0U);
  EXPECT_EQ(parse(sandbox_->get("/v1/control").body)["fail_rate"].GetDouble(), 0.0);
  // A provider adapter without the secret is refused, and never approved.
  HttpCardProviderOptions no_secret;
  HttpCardProvider anonymous([url = sandbox_->baseUrl()] { return url; }, no_secret,
                             recordingHooks());
  EXPECT_EQ(anonymous.charge(token, 100, "USD", "k-anon", "user:1").status,
            ProviderStatus::kUnavailable);
  EXPECT_EQ(sandbox_->chargesUnder("k-anon"), 0U);
  // With it, all is as before.
  EXPECT_EQ(provider()->charge(token, 100, "USD", "k-sec", "user:1").status,
            ProviderStatus::kApproved);
}

TEST_F(PaymentsProviderTest, TokensExpireAndUnusedOnesArePurged) {
  std::atomic<std::int64_t> skew_s{0};
  sandbox_.reset();
  sandbox_ = std::make_unique<Sandbox>(data_dir_, false, [&skew_s] {
    return std::chrono::system_clock::now() + std::chrono::seconds(skew_s.load());
  });
  const auto p = provider();
  const auto charged = sandbox_->token("4242424242424242");
  ASSERT_EQ(p->charge(charged, 100, "USD", "k-before", "user:1").status, ProviderStatus::kApproved);
  const auto unused = sandbox_->token("4242424242424242");
  const auto late = sandbox_->token("4242424242424242");

  skew_s = 14 * 60;  // still within 15 minutes
  ASSERT_EQ(p->charge(late, 100, "USD", "k-in-time", "user:1").status, ProviderStatus::kApproved);
  skew_s = 16 * 60;
  const auto expired = p->charge(unused, 100, "USD", "k-expired", "user:1");
  EXPECT_EQ(expired.status, ProviderStatus::kInvalidToken) << expired.detail;
  EXPECT_EQ(sandbox_->chargesUnder("k-expired"), 0U);
  // A replay of a charge made in time still answers with it.
  EXPECT_EQ(p->charge(charged, 100, "USD", "k-before", "user:1").status, ProviderStatus::kApproved);

  // The next tokenization purges expired tokens no charge names.
  const auto fresh = sandbox_->token("4242424242424242");
  EXPECT_FALSE(sandbox_->store().token(unused).has_value());
  EXPECT_TRUE(sandbox_->store().token(charged).has_value());
  EXPECT_TRUE(sandbox_->store().token(fresh).has_value());
}

TEST_F(PaymentsProviderTest, TokenizationIsRateLimitedPerAddressTheShopsCallsAreNot) {
  sandbox_.reset();
  sandbox_ = std::make_unique<Sandbox>(data_dir_, true);
  int created = 0;
  int limited = 0;
  for (int i = 0; i < 60; ++i) {
    const auto r = sandbox_->tokenize("4242424242424242");
    if (r.status == 201) ++created;
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.header("content-type"), "application/problem+json");
      EXPECT_FALSE(r.header("retry-after").empty());
    }
  }
  EXPECT_EQ(created + limited, 60);
  EXPECT_GE(created, 30);  // the burst, and what refills meanwhile (5/s)
  EXPECT_GE(limited, 15);
  // The routes the shop calls carry the secret and are not limited.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(sandbox_->get("/v1/charges?limit=1").status, 200) << i;
  }
}

// Bearer "admin" is an admin, "shopper" a customer; anything else is nobody.
class FakeAuthenticator final : public http::Authenticator {
 public:
  std::optional<http::Principal> verify(std::string_view token) const override {
    if (token == "admin") return http::Principal{"usr_admin", "admin", "jti_1"};
    if (token == "shopper") return http::Principal{"usr_shopper", "customer", "jti_2"};
    return std::nullopt;
  }
};

// A provider the admin routes never reach.
class UnusedProvider final : public CardProvider {
 public:
  ProviderCharge charge(const std::string&, std::int64_t, const std::string&, const std::string&,
                        const std::string&) override {
    return {};
  }
  ProviderRefund refund(const std::string&, const std::string&, std::int64_t) override {
    return {};
  }
};

class PaymentsAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    data_dir_ = std::filesystem::temp_directory_path() /
                ("emporium_payments_" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(data_dir_);
    sql::DatabaseOptions options;
    options.service = "payments";
    options.data_dir = data_dir_.string();
    db_ = sql::openDatabase(options);
    sql::applyMigrations(*db_, migrations());
    outbox_ = std::make_unique<events::Outbox>("payments", *db_, doorbell_);
    module_ = std::make_unique<PaymentsModule>(*db_, *outbox_, provider_, logger_);
    module_->addRoutes(router_);
    metrics_ = std::make_unique<metrics::HttpMetrics>(router_);
    net::ServerOptions server_options;
    server_options.port = 0;
    server_options.threads = 1;
    server_options.access_log = false;
    server_ = std::make_unique<net::HttpServer>(server_options, router_, logger_, *metrics_,
                                                http::DispatchContext{{}, &auth_, nullptr});
    server_->start();
  }
  void TearDown() override {
    server_->stop();
    server_.reset();
    module_.reset();
    db_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  test::HttpReply post(const std::string& body, const std::string& token = "admin") {
    return test::httpRequest(server_->port(), "POST", "/api/v1/admin/gift-cards", body,
                             {{"Authorization", "Bearer " + token}});
  }
  test::HttpReply get(const std::string& code, const std::string& token = "admin") {
    return test::httpRequest(server_->port(), "GET", "/api/v1/admin/gift-cards/" + code, "",
                             {{"Authorization", "Bearer " + token}});
  }
  void expect422(const std::string& body, const std::string& field) {
    const auto r = post(body);
    EXPECT_EQ(r.status, 422) << body << " -> " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_NE(r.body.find("\"field\":\"" + field + "\""), std::string::npos) << r.body;
  }

  std::filesystem::path data_dir_;
  log::Logger logger_{log::Level::kError};
  FakeAuthenticator auth_;
  UnusedProvider provider_;
  std::unique_ptr<sql::Database> db_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<PaymentsModule> module_;
  http::Router router_;
  std::unique_ptr<metrics::HttpMetrics> metrics_;
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(PaymentsAdminTest, IssuesAndShowsAGiftCard) {
  const auto created = post(R"({"code":"Gift-2026","balance":5000})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto card = parse(created.body);
  EXPECT_STREQ(card["code"].GetString(), "GIFT-2026");
  EXPECT_EQ(card["balance"]["amount"].GetInt64(), 5000);
  EXPECT_STREQ(card["balance"]["currency"].GetString(), "USD");
  EXPECT_TRUE(card["created_at"].IsString());
  const auto shown = get("gift-2026");
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(parse(shown.body)["balance"]["amount"].GetInt64(), 5000);

  const auto money = post(R"({"code":"EURO-0001","balance":{"amount":2500,"currency":"EUR"}})");
  ASSERT_EQ(money.status, 201) << money.body;
  EXPECT_STREQ(parse(money.body)["balance"]["currency"].GetString(), "EUR");
}

TEST_F(PaymentsAdminTest, DuplicateCodeIsAConflict) {
  ASSERT_EQ(post(R"({"code":"DUPE-0001","balance":100})").status, 201);
  const auto again = post(R"({"code":"dupe-0001","balance":100})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.header("content-type"), "application/problem+json");
}

TEST_F(PaymentsAdminTest, BadInputNamesTheField) {
  // Without a code the shop generates one (GiftCardsApiTest); a given code
  // is checked.
  expect422(R"({"code":"","balance":100})", "code");
  expect422(R"({"code":"abc","balance":100})", "code");
  expect422(R"({"code":"has space","balance":100})", "code");
  expect422(R"({"code":"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456","balance":100})", "code");
  expect422(R"({"code":"GOOD-0001"})", "balance");
  expect422(R"({"code":"GOOD-0001","balance":-1})", "balance");
  expect422(R"({"code":"GOOD-0001","balance":"100"})", "balance");
  expect422(R"({"code":"GOOD-0001","balance":1.5})", "balance");
  expect422(R"({"code":"GOOD-0001","balance":{"amount":100,"currency":"euro"}})",
            "balance.currency");
  expect422(R"({"code":"GOOD-0001","balance":{"currency":"EUR"}})", "balance.amount");
  EXPECT_EQ(post("{oops").status, 400);
  EXPECT_EQ(get("GOOD-0001").status, 404);
  EXPECT_EQ(get("bad%20code").status, 404);
}

TEST_F(PaymentsAdminTest, AdminsOnly) {
  EXPECT_EQ(post(R"({"code":"GOOD-0002","balance":100})", "shopper").status, 403);
  EXPECT_EQ(post(R"({"code":"GOOD-0002","balance":100})", "nobody").status, 401);
  EXPECT_EQ(get("GOOD-0002", "shopper").status, 403);
}

}  // namespace
}  // namespace emporium::payments
