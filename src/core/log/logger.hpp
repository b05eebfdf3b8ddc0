#pragma once
// Structured logs: one JSON object per line on stderr, written by a background
// thread so request threads never wait on the terminal or a pipe.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

namespace emporium::log {

enum class Level : std::uint8_t { kDebug, kInfo, kWarn, kError };

std::optional<Level> parseLevel(std::string_view text);
std::string_view levelName(Level level);

struct Field {
  using Value = std::variant<std::string_view, std::int64_t, double, bool>;
  std::string_view key;
  Value value;
  // Narrower integer types would otherwise be ambiguous between int64 and double.
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

/// Where formatted lines go. The default writes to stderr asynchronously.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(std::string_view line) = 0;
  virtual void flush() = 0;
};

std::unique_ptr<Sink> makeStderrSink();

class Logger {
 public:
  explicit Logger(Level level, std::unique_ptr<Sink> sink = makeStderrSink());
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(Level level) const noexcept { return level >= level_; }
  void log(Level level, std::string_view message, std::initializer_list<Field> fields = {},
           std::string_view request_id = {}) const;
  void debug(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kDebug, m, f);
  }
  void info(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kInfo, m, f);
  }
  void warn(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kWarn, m, f);
  }
  void error(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kError, m, f);
  }
  void flush() const;

 private:
  Level level_;
  std::unique_ptr<Sink> sink_;
};

/// A Logger bound to one request: every line carries its request_id.
/// A null logger drops everything (handlers called from unit tests).
class RequestLogger {
 public:
  RequestLogger(const Logger* logger, std::string_view request_id)
      : logger_(logger), request_id_(request_id) {}
  void log(Level level, std::string_view m, std::initializer_list<Field> f = {}) const {
    if (logger_ != nullptr) logger_->log(level, m, f, request_id_);
  }
  void debug(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kDebug, m, f);
  }
  void info(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kInfo, m, f);
  }
  void warn(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kWarn, m, f);
  }
  void error(std::string_view m, std::initializer_list<Field> f = {}) const {
    log(Level::kError, m, f);
  }

 private:
  const Logger* logger_;
  std::string_view request_id_;
};

}  // namespace emporium::log
