#include "core/log/logger.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>
#include <string>

#include "core/json/writer.hpp"

namespace emporium::log {
namespace {

// spdlog supplies the queue and the writer thread; we format the JSON object
// ourselves so every value is escaped and typed the same way everywhere.
class SpdlogStderrSink final : public Sink {
 public:
  SpdlogStderrSink()
      : pool_(std::make_shared<spdlog::details::thread_pool>(kQueueSize, 1)),
        logger_(std::make_shared<spdlog::async_logger>(
            "emporium", std::make_shared<spdlog::sinks::stderr_sink_mt>(), pool_,
            spdlog::async_overflow_policy::block)) {
    logger_->set_pattern("%v");
    logger_->set_level(spdlog::level::trace);
    logger_->flush_on(spdlog::level::err);
  }
  ~SpdlogStderrSink() override { logger_->flush(); }
  void write(std::string_view line) override { logger_->info(line); }
  void flush() override { logger_->flush(); }

 private:
  static constexpr std::size_t kQueueSize = 8192;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::async_logger> logger_;
};

void appendTimestamp(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf, n);
  char frac[16];
  const int m = std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(micros));
  out.append(frac, static_cast<std::size_t>(m));
}

}  // namespace

std::unique_ptr<Sink> makeStderrSink() { return std::make_unique<SpdlogStderrSink>(); }

std::optional<Level> parseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn" || text == "warning") return Level::kWarn;
  if (text == "error") return Level::kError;
  return std::nullopt;
}

std::string_view levelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

Logger::Logger(Level level, std::unique_ptr<Sink> sink) : level_(level), sink_(std::move(sink)) {}

Logger::~Logger() { flush(); }

void Logger::log(Level level, std::string_view message, std::initializer_list<Field> fields,
                 std::string_view request_id) const {
  if (!enabled(level)) return;
  std::string ts;
  appendTimestamp(ts);
  json::Writer w;
  w.startObject();
  w.key("ts").string(ts);
  w.key("level").string(levelName(level));
  w.key("msg").string(message);
  if (!request_id.empty()) w.key("request_id").string(request_id);
  for (const auto& field : fields) {
    w.key(field.key);
    std::visit([&w](const auto& v) { w.value(v); }, field.value);
  }
  w.endObject();
  sink_->write(w.view());
}

void Logger::flush() const { sink_->flush(); }

}  // namespace emporium::log
