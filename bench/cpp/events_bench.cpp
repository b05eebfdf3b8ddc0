// Events over RabbitMQ: what the full outbox path (insert -> AmqpRelay ->
// exchange -> AmqpConsumer -> handler) delivers beside a bare rabbitmq-c loop
// doing the same AMQP work (confirmed publishes in the relay's batch size,
// manual-ack consumption with the consumer's prefetch) with the same bodies.
//
//   events_bench [--messages N] [--amqp URL] [--postgres URL] [--skip-sqlite]
//
// URLs default to EMPORIUM_TEST_AMQP_URL / EMPORIUM_TEST_POSTGRES_URL.
// Prints a markdown table on stdout; bench/events.sh runs it.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/events/amqp_connection.hpp"
#include "core/events/amqp_consumer.hpp"
#include "core/events/amqp_relay.hpp"
#include "core/events/event.hpp"
#include "core/events/event_metrics.hpp"
#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "core/util/ids.hpp"

namespace ev = emporium::events;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Events per insert transaction: a service commits a few at a time.
constexpr int kPerTransaction = 10;

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): before threads
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string randomSuffix() {
  std::random_device random;
  return std::to_string(random() % 1000000000U);
}

// A payload like order.confirmed's: about 300 bytes with its index first.
std::string payload(int n) {
  return R"({"n":)" + std::to_string(n) +
         R"(,"user_id":"usr_01J9ZQ4K8W3X5Y7Z9A1B2C3D4E","order":{"id":"ord_01J9ZQ4K8W3X5Y7Z9A1B2C3D4F",)"
         R"("status":"confirmed","currency":"EUR","total":"129.90","lines":[{"sku":"TSHIRT-BLUE-M",)"
         R"("quantity":2,"unit_price":"24.95"},{"sku":"MUG-WHITE","quantity":1,"unit_price":"80.00"}]}})";
}

int indexOf(const std::string& payload_text) {
  return std::atoi(payload_text.c_str() + 5);  // after {"n":
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[index];
}

struct Result {
  std::string path;
  std::string backend;
  int messages = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double rate() const { return messages / seconds; }
};

ev::AmqpOptions benchOptions(const std::string& url) {
  ev::AmqpOptions options;
  options.url = url;
  const std::string suffix = randomSuffix();
  options.exchange = "emporium.bench." + suffix + ".events";
  options.queue_prefix = "emporium.bench." + suffix + ".";
  return options;
}

// (1) rabbitmq-c alone: confirmed publishes in the relay's batches, one
// consumer acking each message, same body size.
Result bareLoop(const std::string& url, int messages) {
  const ev::AmqpOptions options = benchOptions(url);
  const std::string queue = options.queue_prefix + "bare";
  ev::AmqpConnection publisher(url);
  publisher.declareQueue(queue);
  publisher.confirmSelect();
  const std::string body = ev::toJson(ev::Event{.id = emporium::util::newId("evt"),
                                                .type = "order.confirmed",
                                                .occurred_at = emporium::util::nowRfc3339(),
                                                .source = "orders",
                                                .payload = payload(0)});
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(messages));
  std::vector<double> lags;
  lags.reserve(static_cast<std::size_t>(messages));
  std::atomic<bool> ready{false};
  Clock::time_point last;
  std::thread consumer([&] {
    ev::AmqpConnection connection(url);
    connection.qos(options.prefetch);
    connection.consume(queue);
    ready = true;
    int received = 0;
    while (received < messages) {
      const auto delivery = connection.next(5s);
      if (!delivery) throw ev::AmqpError("bare loop: no message for 5 s");
      const auto n = static_cast<std::size_t>(std::stoi(delivery->message_id));
      connection.ack(delivery->delivery_tag);
      lags.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent[n]).count());
      ++received;
    }
    last = Clock::now();
  });
  while (!ready) std::this_thread::sleep_for(1ms);
  const auto start = Clock::now();
  for (int n = 0; n < messages;) {
    const int end = std::min<int>(n + static_cast<int>(ev::AmqpRelay::kBatch), messages);
    for (; n < end; ++n) {
      const std::string id = std::to_string(n);
      sent[static_cast<std::size_t>(n)] = Clock::now();
      publisher.publish(ev::OutgoingMessage{.routing_key = queue, .body = body, .message_id = id});
    }
    if (!publisher.waitConfirms(10s).empty()) throw ev::AmqpError("bare loop: nacked");
  }
  consumer.join();
  publisher.deleteQueue(queue);
  return Result{"bare rabbitmq-c loop",
                "-",
                messages,
                std::chrono::duration<double>(last - start).count(),
                percentile(lags, 0.5),
                percentile(lags, 0.99)};
}

// (2) The product path: events inserted into an outbox (kPerTransaction per
// commit), AmqpRelay, AmqpConsumer, a handler that counts and records the
// lag from each event's commit.
Result fullPath(const std::string& url, const std::string& backend, emporium::sql::Database& db,
                int messages) {
  const ev::AmqpOptions options = benchOptions(url);
  const emporium::log::Logger logger(emporium::log::Level::kWarn);
  ev::EventMetrics metrics;
  ev::Doorbell doorbell;
  const ev::Outbox outbox("bench", db, doorbell);
  {
    ev::AmqpConnection connection(url);
    ev::declareConsumerTopology(connection, options, "bench", {"order.*"});
  }
  // Commit times by event index, written before the commit's doorbell.
  std::vector<std::atomic<std::int64_t>> committed(static_cast<std::size_t>(messages));
  std::vector<std::atomic<bool>> handled(static_cast<std::size_t>(messages));
  std::mutex lag_mutex;
  std::vector<double> lags;
  std::atomic<int> distinct{0};
  Clock::time_point last;
  ev::AmqpConsumer consumer(
      options,
      ev::Consumer{"bench",
                   {"order.*"},
                   [&](const ev::Event& event) {
                     const auto n = static_cast<std::size_t>(indexOf(event.payload));
                     if (handled[n].exchange(true)) return;  // a redelivery
                     const auto now = Clock::now().time_since_epoch().count();
                     const std::lock_guard lock(lag_mutex);
                     lags.push_back(static_cast<double>(now - committed[n].load()) / 1e6);
                     if (++distinct == messages) last = Clock::now();
                   }},
      logger, metrics);
  ev::AmqpRelay relay(options, {&outbox}, doorbell, logger, metrics);
  consumer.start();
  relay.start();
  std::this_thread::sleep_for(200ms);  // both connected: time the events, not the handshakes

  const auto start = Clock::now();
  for (int n = 0; n < messages;) {
    const int end = std::min(n + kPerTransaction, messages);
    const int first = n;
    db.write([&](emporium::sql::Session& session) {
      for (int i = first; i < end; ++i) outbox.add(session, "order.confirmed", payload(i));
    });
    const auto now = Clock::now().time_since_epoch().count();
    for (int i = first; i < end; ++i) committed[static_cast<std::size_t>(i)] = now;
    outbox.committed();
    n = end;
  }
  const auto deadline = Clock::now() + 300s;
  while (distinct < messages && Clock::now() < deadline) std::this_thread::sleep_for(2ms);
  relay.stop();
  consumer.stop();
  if (distinct < messages) {
    throw std::runtime_error(backend + ": only " + std::to_string(distinct.load()) + " of " +
                             std::to_string(messages) + " events handled within 300 s");
  }
  {
    ev::AmqpConnection connection(url);
    ev::deleteConsumerTopology(connection, options, "bench");
    connection.deleteExchange(options.exchange);
  }
  return Result{"outbox -> relay -> consumer",
                backend,
                messages,
                std::chrono::duration<double>(last - start).count(),
                percentile(lags, 0.5),
                percentile(lags, 0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  int messages = 20000;
  std::optional<std::string> amqp = env("EMPORIUM_TEST_AMQP_URL");
  std::optional<std::string> postgres = env("EMPORIUM_TEST_POSTGRES_URL");
  bool sqlite = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);  // NOLINT(concurrency-mt-unsafe): single-threaded here
      }
      return argv[++i];
    };
    if (arg == "--messages") {
      messages = std::stoi(value());
    } else if (arg == "--amqp") {
      amqp = value();
    } else if (arg == "--postgres") {
      postgres = value();
    } else if (arg == "--no-postgres") {
      postgres.reset();
    } else if (arg == "--skip-sqlite") {
      sqlite = false;
    } else {
      std::cerr << "usage: events_bench [--messages N] [--amqp URL] [--postgres URL | "
                   "--no-postgres] [--skip-sqlite]\n";
      return 2;
    }
  }
  if (!amqp) {
    std::cerr << "events_bench: set EMPORIUM_TEST_AMQP_URL or pass --amqp\n";
    return 2;
  }
  try {
    std::vector<Result> results;
    std::cerr << "bare loop, " << messages << " messages\n";
    results.push_back(bareLoop(*amqp, messages));
    if (sqlite) {
      const auto dir =
          std::filesystem::temp_directory_path() / ("emporium-events-bench-" + randomSuffix());
      std::filesystem::create_directories(dir);
      {
        auto db = emporium::sql::openDatabase({.service = "events", .data_dir = dir.string()});
        db->write([](emporium::sql::Session& s) {
          s.executeScript(ev::outboxSchemaSql(emporium::sql::Dialect::kSqlite));
        });
        std::cerr << "full path on SQLite\n";
        results.push_back(fullPath(*amqp, "SQLite", *db, messages));
      }
      std::filesystem::remove_all(dir);
    }
    if (postgres) {
      // A database of its own (<dbname>_eventsbench<N>); bench/events.sh drops it.
      auto db = emporium::sql::openDatabase(
          {.service = "eventsbench" + randomSuffix(), .postgres_url = *postgres, .pool_size = 4});
      db->write([](emporium::sql::Session& s) {
        s.executeScript(ev::outboxSchemaSql(emporium::sql::Dialect::kPostgres));
      });
      std::cerr << "full path on PostgreSQL\n";
      results.push_back(fullPath(*amqp, "PostgreSQL", *db, messages));
      db->write([](emporium::sql::Session& s) {
        s.executeScript("DROP TABLE outbox; DROP TABLE processed_events");
      });
    }
    const double bare = results.front().rate();
    std::printf("| path | outbox | messages | msgs/s | lag p50 ms | lag p99 ms | vs bare |\n");
    std::printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (const Result& r : results) {
      std::printf("| %s | %s | %d | %.0f | %.2f | %.2f | %.2fx |\n", r.path.c_str(),
                  r.backend.c_str(), r.messages, r.rate(), r.p50_ms, r.p99_ms, r.rate() / bare);
    }
  } catch (const std::exception& e) {
    std::cerr << "events_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
